"""A project's notification rules through the API: members read (read scope), owners and
admins change them (write scope), with the dashboard's form and checks (`rules.py`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.forms import RuleForm
from alerts.models import Delivery
from projects import access

from . import rules
from .common import CURSOR, ERRORS, LIMIT, page_response, simple_page
from .rule_serializers import DeliverySerializer, NewRuleInput, RuleInput, RuleSerializer


def _project(request, org_slug, project_slug, *, change: bool):
    """(project, is_admin): 404 for strangers (and unknown projects); 403 for plain members
    when `change`, as `access.admin_membership_or_403` answers."""
    project = access.project_or_404(request.user, org_slug, project_slug, admin=change)
    return project, access.is_admin(project.membership)


def _rule(project, rule_id):
    rule = project.alert_rules.prefetch_related("email_members").filter(pk=rule_id).first()
    if rule is None:
        raise exceptions.NotFound("No such rule.")
    return rule


def _save(request, project, rule, input_class):
    body = input_class(data=request.data)
    body.is_valid(raise_exception=True)
    form = RuleForm(rules.form_data(rule, body.validated_data), instance=rule, project=project)
    if not form.is_valid():
        raise rules.form_errors(form)
    return form.save()


def _shown(project, rule, is_admin: bool) -> dict:
    return RuleSerializer(rule, context={"project": project, "is_admin": is_admin}).data


@access.rule(GET="viewer", POST="admin")
class ProjectRules(APIView):
    @extend_schema(parameters=[CURSOR, LIMIT], responses={200: RuleSerializer(many=True), **ERRORS})
    def get(self, request, org_slug, project_slug):
        project, is_admin = _project(request, org_slug, project_slug, change=False)
        page = simple_page(request, project.alert_rules.prefetch_related("email_members"))
        context = {"project": project, "is_admin": is_admin}
        return page_response(
            request, page, RuleSerializer(page.items, many=True, context=context).data
        )

    @extend_schema(request=NewRuleInput, responses={201: RuleSerializer, **ERRORS})
    def post(self, request, org_slug, project_slug):
        """A new rule (owners and admins)."""
        project, _ = _project(request, org_slug, project_slug, change=True)
        rule = _save(request, project, None, NewRuleInput)
        return Response(_shown(project, rule, True), status=status.HTTP_201_CREATED)


@access.rule(GET="viewer", PUT="admin", DELETE="admin")
class ProjectRuleDetail(APIView):
    @extend_schema(responses={200: RuleSerializer, **ERRORS})
    def get(self, request, org_slug, project_slug, rule_id):
        project, is_admin = _project(request, org_slug, project_slug, change=False)
        return Response(_shown(project, _rule(project, rule_id), is_admin))

    @extend_schema(request=RuleInput, responses={200: RuleSerializer, **ERRORS})
    def put(self, request, org_slug, project_slug, rule_id):
        """Change a rule (owners and admins); fields left out keep their values, and a given
        `conditions`, `filters` or `actions` list replaces the old one."""
        project, _ = _project(request, org_slug, project_slug, change=True)
        rule = _save(request, project, _rule(project, rule_id), RuleInput)
        return Response(_shown(project, rule, True))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, org_slug, project_slug, rule_id):
        """Delete a rule (owners and admins); what it sent stays in the issues' history."""
        project, _ = _project(request, org_slug, project_slug, change=True)
        _rule(project, rule_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@access.rule("viewer")
class ProjectRuleDeliveries(APIView):
    @extend_schema(
        parameters=[CURSOR, LIMIT], responses={200: DeliverySerializer(many=True), **ERRORS}
    )
    def get(self, request, org_slug, project_slug, rule_id):
        """What the rule sent, newest first (our own endpoint)."""
        project, _ = _project(request, org_slug, project_slug, change=False)
        if not project.alert_rules.filter(pk=rule_id).exists():
            raise exceptions.NotFound("No such rule.")
        deliveries = Delivery.objects.filter(project=project, rule_id=rule_id)
        page = simple_page(request, deliveries, key="created", descending=True)
        return page_response(request, page, DeliverySerializer(page.items, many=True).data)
