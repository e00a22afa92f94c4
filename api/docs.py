"""A browsable page for the OpenAPI schema: Swagger UI from our own static files (the
drf-spectacular-sidecar package), started by a static script, so it runs under our CSP."""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from projects import access

# Swagger UI sets one inline style attribute (the same text every time); this page's policy
# allows exactly that one by its hash ('unsafe-hashes' covers attributes, nothing else), so
# the browser console stays free of CSP violations. tests/api/test_docs_first_hour.py fails
# when a new Swagger UI sets another.
SWAGGER_STYLE_HASHES = ("'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",)


def _policy() -> str:
    extra = " 'unsafe-hashes' " + " ".join(SWAGGER_STYLE_HASHES)
    return settings.CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self'" + extra)


@access.rule(access.PUBLIC)
@require_GET
def docs_page(request):
    response = render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
    response["Content-Security-Policy"] = _policy()
    return response
