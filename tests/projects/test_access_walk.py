"""Every URL pattern of the dashboard and the API declares who may call it
(`@access.rule(...)`, projects/access.py), and each role gets what its rule says: the lowest
allowed role gets through, lower roles get 403, strangers and another organization's objects
404, anonymous callers the login page (dashboard) or 401/403 (API).

A new view fails `test_every_view_declares_an_access_rule` until it declares its rule; a new
URL keyword fails the role walk until SAMPLES below knows a value for it."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.models import ApiToken
from monitors.models import Monitor
from projects import access
from projects.models import Invitation, Membership, Team
from releases.models import Release
from sourcemaps.models import ArtifactFile
from tests.support.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.support.payloads import python_error
from tests.support.world import store

pytestmark = pytest.mark.one_pass

ROLE_KINDS = [str(r) for r in access.RANK]  # viewer, member, admin, owner
METHODS = ("GET", "POST", "PUT", "DELETE")


@dataclass(frozen=True)
class View:
    name: str  # namespace:name
    route: str
    callback: object

    def __str__(self):
        module = getattr(self.callback, "__module__", "?")
        target = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        label = (target or self.callback).__name__
        return f"{self.route} (url name {self.name!r}, view {module}.{label})"


def all_views() -> list[View]:
    found = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x)
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name or ''}" if namespace else (p.name or "")
                found.append(View(name, prefix + str(p.pattern), p.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


VIEWS = all_views()


def test_every_view_declares_an_access_rule():
    missing = [str(v) for v in VIEWS if access.declared(v.callback, v.name or None) is None]
    assert not missing, (
        "These views declare no access rule. Add one line above each view, e.g. "
        '@access.rule("viewer") or @access.rule(GET="viewer", POST="admin") '
        "(from projects import access; kinds: public, user, staff, viewer, member, admin, owner); "
        "views of other packages go in access.BY_URL_NAME:\n  " + "\n  ".join(missing)
    )


def test_unnamed_views_cannot_hide():
    """Views of our own have URL names (the walk reverses them); the admin site's are Django's."""
    unnamed = [
        str(v) for v in VIEWS if not v.name.split(":")[-1] and not v.name.startswith("admin:")
    ]
    assert not unnamed, unnamed


def cases():
    out = []
    for view in VIEWS:
        rules = access.declared(view.callback, view.name or None) or {}
        cls = getattr(view.callback, "cls", None)
        if cls is not None:  # DRF: the handlers it has
            methods = [m for m in METHODS if hasattr(cls, m.lower())]
        else:
            methods = [m for m in rules if m != "*"] or ["GET", "POST"]
        for method in methods:
            kind = str(access.rule_for(rules, method))
            if kind in ROLE_KINDS or kind == access.USER:
                out.append(pytest.param(view, method, kind, id=f"{view.name}-{method}"))
    return out


@pytest.fixture
def world(ingest_queue):
    """Org A: owner, admin, member, viewer (and tom, a member to remove); org B alike with an
    owner only. Each with a project, an issue and its event, a rule, a team, a token, a
    release of the project with a release file, and a monitor."""

    def side(slug, people):
        org = OrganizationFactory(name=slug, slug=slug)
        users = {}
        for role, name in people.items():
            user = UserFactory(username=name)
            MembershipFactory(user=user, organization=org, role=role)
            users[role] = user
        target = MembershipFactory(user=UserFactory(username=f"tom-{slug}"), organization=org)
        project = ProjectFactory(organization=org, name=f"{slug} app", slug="app")
        [issue] = store(project, python_error())
        Release.objects.create(organization=org, version="1.0.0").projects.add(project)
        Monitor.objects.create(project=project, slug="nightly", name="Nightly")
        release_file = ArtifactFile.objects.create(
            organization=org, type=ArtifactFile.Type.SOURCE, url="~/app.js", release="1.0.0",
            sha1="0" * 40, size=0)  # fmt: skip
        return {
            "org_slug": org.slug, "project_slug": project.slug, "issue_id": issue.pk,
            "event_id": issue.events.get().event_id, "which": "latest",
            "membership_id": target.pk, "member_id": target.pk,
            "rule_id": project.alert_rules.first().pk,
            "key_id": project.keys.get().public_key,
            "team_id": Team.objects.create(organization=org, name="T", slug="t").pk,
            "token_id": ApiToken.issue(users["owner"], scopes=["read"])[0].pk,
            "invitation_id": Invitation.objects.create(
                organization=org, email=f"i@{slug}.example", role="member", token_hash=slug,
                expires=timezone.now() + timedelta(days=1)).pk,
            "version": "1.0.0", "file_id": release_file.pk, "filter_id": "localhost",
            "slug": "nightly", "monitor_slug": "nightly",
            "users": users,
        }  # fmt: skip

    own = side("org-a", {"owner": "alice", "admin": "adam", "member": "bob", "viewer": "vera"})
    other = side("org-b", {"owner": "charlie"})
    assert Membership.objects.count() == 7
    return own, other


def url_for(view: View, values: dict) -> str:
    kwargs = {}
    for part in view.route.split("<")[1:]:
        key = part.split(">")[0].split(":")[-1]
        if key not in values:
            pytest.fail(f"{view}: no sample value for the URL keyword {key!r}; add it to the "
                        "world fixture of tests/projects/test_access_walk.py")  # fmt: skip
        kwargs[key] = values[key]
    return reverse(view.name, kwargs=kwargs)


def call(client, method, url, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    if url.startswith("/api/"):
        return getattr(client, method.lower())(url, {} if method != "GET" else None,
                                               content_type="application/json")  # fmt: skip
    return getattr(client, method.lower())(url)


@pytest.mark.django_db
@pytest.mark.parametrize(("view", "method", "kind"), cases())
def test_each_role_gets_what_the_rule_says(client, world, view, method, kind):
    own, other = world
    url = url_for(view, own)
    api = url.startswith("/api/")
    seen = {}
    seen["anonymous"] = call(client, method, url, None).status_code
    if kind == access.USER:
        allowed = call(client, method, url, own["users"]["member"]).status_code
        if allowed == 405:
            pytest.skip(f"{view} does not answer {method}")
        assert seen["anonymous"] in ((401, 403) if api else (302,)), (view, seen)
        assert allowed < 500 and allowed not in (401, 403), (view, allowed)
        return
    seen["stranger"] = call(client, method, url, other["users"]["owner"]).status_code
    seen["owner on another org"] = call(
        client, method, url_for(view, other), own["users"]["owner"]
    ).status_code
    lower = [r for r in ROLE_KINDS if access.RANK[r] < access.RANK[kind]]
    for role in lower:
        seen[role] = call(client, method, url, own["users"][role]).status_code
    allowed = call(client, method, url, own["users"][kind]).status_code
    if allowed == 405:
        pytest.skip(f"{view} does not answer {method}")
    expected = {"anonymous": (401, 403) if api else (302,), "stranger": (404,),
                "owner on another org": (404,), **{r: (403,) for r in lower}}  # fmt: skip
    wrong = {who: status for who, status in seen.items() if status not in expected[who]}
    assert not wrong, f"{method} {view} (rule {kind}): got {wrong}, expected {expected}"
    assert allowed < 500 and allowed not in (401, 403, 404), (
        f"{method} {view}: the {kind} role got {allowed}"
    )
