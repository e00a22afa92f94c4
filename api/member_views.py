"""Organization members through the API: list (read), add and remove (owners and admins,
admin scope), by the dashboard's rules (`projects.members`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import access, members
from projects.forms import AddMemberForm
from projects.models import Membership

from . import serializers
from .common import CURSOR, ERRORS, LIMIT, page_response, simple_page

ROLES = [r for r, _label in Membership.Role.choices]


class MemberInput(drf.Serializer):
    email = drf.EmailField(max_length=254)  # the user table's limit
    orgRole = drf.ChoiceField(choices=ROLES, required=False)
    role = drf.ChoiceField(choices=ROLES, required=False, help_text="Older name of orgRole.")


@access.rule(GET="viewer", POST="admin")
class OrganizationMembers(APIView):
    required_scopes = {"POST": "admin"}

    @extend_schema(
        parameters=[CURSOR, LIMIT],
        responses={200: serializers.MemberSerializer(many=True), **ERRORS},
    )
    def get(self, request, org_slug):
        org = access.membership_or_404(request.user, org_slug).organization
        page = simple_page(request, org.memberships.select_related("user"))
        return page_response(
            request, page, serializers.MemberSerializer(page.items, many=True).data
        )

    @extend_schema(request=MemberInput, responses={201: serializers.MemberSerializer, **ERRORS})
    def post(self, request, org_slug):
        membership = access.admin_membership_or_403(request.user, org_slug)
        body = MemberInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        role = data.get("orgRole") or data.get("role") or Membership.Role.MEMBER
        form = AddMemberForm(
            {"email": data["email"], "role": role}, organization=membership.organization
        )
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        try:
            added, invited = members.add(
                request, membership, form.cleaned_data["email"], role, form.existing_user
            )
        except members.MemberError as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        if invited:  # a pending member, as Sentry shows an invitation
            data = {"id": f"invite-{added.pk}", "email": added.email, "name": added.email,
                    "role": added.role, "orgRole": added.role, "roleName": added.get_role_display(),
                    "pending": True, "expired": False, "dateCreated": added.created, "user": None}  # fmt: skip
            return Response(data, status=status.HTTP_201_CREATED)
        return Response(serializers.MemberSerializer(added).data, status=status.HTTP_201_CREATED)


@access.rule(GET="viewer", PUT="admin", DELETE="admin")
class OrganizationMemberDetail(APIView):
    required_scopes = {"DELETE": "admin"}

    def _target(self, membership, member_id) -> Membership:
        target = membership.organization.memberships.select_related("user").filter(pk=member_id)
        if not target.exists():
            raise exceptions.NotFound("No such member.")
        return target.get()

    @extend_schema(responses={200: serializers.MemberSerializer, **ERRORS})
    def get(self, request, org_slug, member_id):
        target = self._target(access.membership_or_404(request.user, org_slug), member_id)
        return Response(serializers.MemberSerializer(target).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, org_slug, member_id):
        membership = access.admin_membership_or_403(request.user, org_slug)
        try:
            members.remove(membership, self._target(membership, member_id))
        except members.MemberError as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
