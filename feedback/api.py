"""User feedback in the REST API: `POST /api/0/projects/{org}/{project}/user-feedback/`
(Sentry's legacy user report: event_id, name, email, comments) and the project's feedback
list (GET, newest first, with Link pages). Callers are members and up (not viewers): the
list shows reporters' emails."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.common import CURSOR, ERRORS, LIMIT, bad_request, page_response, simple_page
from events.wire.refusal import Refusal
from projects import access

from . import store, wire
from .models import Feedback


class FeedbackInput(serializers.Serializer):
    event_id = serializers.CharField(max_length=36)
    name = serializers.CharField(max_length=128, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    comments = serializers.CharField(max_length=wire.MAX_MESSAGE)


class FeedbackSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    eventID = serializers.CharField(source="event_id")
    name = serializers.CharField()
    email = serializers.CharField()
    comments = serializers.CharField(source="message")
    url = serializers.CharField()
    source = serializers.CharField()
    issueId = serializers.SerializerMethodField()
    dateCreated = serializers.DateTimeField(source="received")

    def get_issueId(self, row) -> str | None:  # noqa: N802 (the API's name)
        return str(row.issue_id) if row.issue_id else None


@access.rule("member")
class ProjectFeedback(APIView):
    @extend_schema(
        parameters=[CURSOR, LIMIT], responses={200: FeedbackSerializer(many=True), **ERRORS}
    )
    def get(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug, role="member")
        page = simple_page(
            request, Feedback.objects.filter(project=project), key="received", descending=True
        )
        return page_response(request, page, FeedbackSerializer(page.items, many=True).data)

    @extend_schema(
        request=FeedbackInput, responses={201: FeedbackSerializer, 409: ERRORS[400], **ERRORS}
    )
    def post(self, request, org_slug, project_slug):
        project = access.project_or_404(request.user, org_slug, project_slug, role="member")
        body = FeedbackInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            data = wire.from_user_report(dict(body.validated_data), "api")
        except Refusal as exc:
            raise bad_request(exc.detail) from None
        row = store.save(project.pk, data, timezone.now())
        return Response(FeedbackSerializer(row).data, status=status.HTTP_201_CREATED)
