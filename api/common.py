"""What every API view shares: error answers for the schema, and keyset pages with
Sentry's `Link` header."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions
from rest_framework.response import Response

from events.issues.pagination import paginate

from . import cursors, serializers

MAX_PAGE = 100
ERRORS = {
    400: OpenApiResponse(serializers.DetailSerializer, description="Bad input"),
    401: OpenApiResponse(serializers.DetailSerializer, description="No or bad token"),
    403: OpenApiResponse(serializers.DetailSerializer, description="Missing scope or role"),
    404: OpenApiResponse(serializers.DetailSerializer, description="No such object"),
}
CURSOR = OpenApiParameter("cursor", str, description="From the `Link` header of a page.")
LIMIT = OpenApiParameter("limit", int, description=f"Page size, 1 to {MAX_PAGE}.")


def bad_request(message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({"detail": message})


def page_response(request, page, data) -> Response:
    """A list response with Sentry's `Link` header for the page."""
    response = Response(data)
    params = {k: v for k, v in request.GET.lists() if k != "cursor"}
    url = request.build_absolute_uri(request.path)
    response["Link"] = cursors.link_header(url, params, page)
    return response


def simple_page(request, qs: QuerySet, *, key: str = "id", descending: bool = False):
    """A keyset page of any list by an integer key (or a datetime key)."""
    is_datetime = key != "id"
    try:
        cursor = cursors.to_internal(request.GET.get("cursor"), is_datetime=is_datetime)
        size = int(request.GET.get("limit") or MAX_PAGE)
    except cursors.BadCursor as exc:
        raise bad_request(str(exc)) from None
    except ValueError:
        raise bad_request("limit must be an integer.") from None
    if not 1 <= size <= MAX_PAGE:
        raise bad_request(f"limit must be between 1 and {MAX_PAGE}.")
    return paginate(qs, key=key, descending=descending, cursor=cursor, size=size)
