"""A browsable page for the OpenAPI schema: Swagger UI from our own static files (the
drf-spectacular-sidecar package), started by a static script, so it runs under our CSP."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from projects import access


@access.rule(access.PUBLIC)
@require_GET
def docs_page(request):
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
