"""Notification rules through the API: members read, owners and admins change them (write
scope), with the dashboard's checks; a rule made here fires like one made in the dashboard."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.forms import RuleForm
from alerts.models import Delivery, NotificationRule
from api import rules
from tests.support.payloads import message_event, python_error
from tests.support.world import store

pytestmark = pytest.mark.django_db
RULES = "projects/org-a/backend/rules/"
NEW_ISSUE = {"id": rules.FIRST_SEEN}
ALL_MEMBERS = {"id": rules.EMAIL, "targetType": "IssueOwners", "fallthroughType": "AllMembers"}
FULL = {
    "name": "Checkout spikes",
    "actionMatch": "any",
    "filterMatch": "all",
    "frequency": 15,
    "environment": "production",
    "conditions": [
        {"id": rules.REGRESSION},
        {"id": rules.FREQUENCY, "value": 49, "interval": "5m", "comparisonType": "count"},
    ],
    "filters": [
        {"id": rules.LEVEL, "match": "gte", "level": "40"},
        {"id": rules.RELEASE, "value": "shop@2.*"},
        {"id": rules.TAGGED, "key": "customer", "match": "eq", "value": "acme"},
        {"id": rules.ATTRIBUTE, "attribute": "message", "match": "co", "value": "checkout"},
    ],
    "actions": [
        {"id": rules.ADDRESS, "address": "ops@example.org"},
        {
            "id": rules.WEBHOOK,
            "url": "https://hooks.slack.com/services/T000/B000/XXXX",
            "includeReporterEmail": False,
        },
    ],
}


def test_who_may_read_and_change_rules(api_as, alice, dave, bob, charlie, project):
    rule = project.alert_rules.get()  # every new project has the default rule
    one = f"{RULES}{rule.pk}/"
    body = {"name": "x", "conditions": [NEW_ISSUE], "actions": [ALL_MEMBERS]}
    listed = api_as(bob, ["read"]).get(RULES)
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [str(rule.pk)]
    assert 'rel="next"' in listed["Link"]
    assert api_as(bob, ["read"]).get(one).json()["name"] == rule.name
    assert api_as(bob, ["read"]).get(f"{one}deliveries/").json() == []
    for path in (RULES, one, f"{one}deliveries/"):
        assert api_as(charlie).get(path).status_code == 404
    assert api_as(alice).get(f"{RULES}{rule.pk + 1000}/").status_code == 404
    assert api_as(alice).get("projects/org-a/nope/rules/").status_code == 404
    for who, scopes, expected in ((bob, ["write"], 403), (alice, ["read"], 403),
                                  (charlie, ["write"], 404)):  # fmt: skip
        api = api_as(who, scopes)
        assert api.post(RULES, body).status_code == expected
        assert api.put(one, {"name": "renamed"}).status_code == expected
        assert api.delete(one).status_code == expected
        assert "detail" in api.delete(one).json()
    rule.refresh_from_db()
    assert rule.name != "renamed" and NotificationRule.objects.count() == 1
    assert api_as(alice, ["write"]).post(RULES, body).status_code == 201
    assert api_as(dave, ["write"]).put(one, {"name": "renamed"}).json()["name"] == "renamed"
    assert api_as(dave, ["write"]).delete(one).status_code == 204
    assert list(project.alert_rules.values_list("name", flat=True)) == ["x"]


def test_create_read_update_delete(api_as, alice, bob, project, settings):
    api = api_as(alice)
    created = api.post(RULES, FULL)
    assert created.status_code == 201, created.json()
    body = created.json()
    rule = NotificationRule.objects.get(pk=body["id"])
    assert (rule.on_regression, rule.on_frequency, rule.on_new_issue) == (True, True, False)
    assert (rule.frequency_count, rule.frequency_minutes, rule.throttle_minutes) == (50, 5, 15)
    assert (rule.min_level, rule.release, rule.tag_key, rule.tag_value, rule.text_contains) == (
        "error", "shop@2.*", "customer", "acme", "checkout")  # fmt: skip
    assert rule.environments == ["production"] and rule.email_addresses == ["ops@example.org"]
    assert rule.webhook_url.startswith("https://hooks.slack.com/") and rule.email_to == ""
    # The answer reads back as it was written (plus labels and our extensions).
    assert body["id"] == str(rule.pk) and body["projects"] == ["backend"]
    assert body["frequency"] == 15 and body["environment"] == "production"
    assert body["status"] == "active" and body["actionMatch"] == "any"
    for part in ("conditions", "filters", "actions"):
        got = [{k: v for k, v in item.items() if k != "name"} for item in body[part]]
        assert got == FULL[part], part
    assert all(item["name"] for item in body["conditions"] + body["filters"] + body["actions"])
    assert api.get(f"{RULES}{rule.pk}/").json() == body
    again = api.put(f"{RULES}{rule.pk}/", body).json()  # what GET shows, PUT takes back
    assert {k: v for k, v in again.items() if k != "dateModified"} == {
        k: v for k, v in body.items() if k != "dateModified"
    }
    # Members see where the webhook goes, not its secret path (as on the rules page).
    seen = api_as(bob, ["read"]).get(f"{RULES}{rule.pk}/").json()["actions"][1]["url"]
    assert seen == "https://hooks.slack.com/…"

    changed = api.put(
        f"{RULES}{rule.pk}/",
        {"status": "disabled", "environments": ["prod", "staging"], "filters": [],
         "actions": [{"id": rules.EMAIL, "targetType": "Member", "targetIdentifier": bob.pk}]},
    ).json()  # fmt: skip
    rule.refresh_from_db()
    assert not rule.enabled and rule.environments == ["prod", "staging"]
    assert (rule.min_level, rule.release, rule.webhook_url, rule.email_addresses) == (
        "",
        "",
        "",
        [],
    )
    assert rule.email_to == "chosen" and list(rule.email_members.all()) == [bob]
    assert rule.on_frequency and rule.name == "Checkout spikes"  # left out: kept
    assert changed["environment"] is None and changed["environments"] == ["prod", "staging"]
    assert changed["actions"][0]["targetIdentifier"] == bob.pk

    assert api.delete(f"{RULES}{rule.pk}/").status_code == 204
    assert not NotificationRule.objects.filter(pk=rule.pk).exists()
    assert api.get(f"{RULES}{rule.pk}/").status_code == 404


BAD = [
    ({"conditions": []}, "Choose at least one trigger"),
    ({"actions": []}, "Choose at least one action"),
    ({"conditions": [{"id": "sentry.rules.conditions.nope"}]}, "Unknown condition"),
    ({"conditions": [{"id": rules.FREQUENCY, "value": 5}]}, "interval"),
    ({"conditions": [{"id": rules.FREQUENCY, "value": 5, "interval": "2d"}]}, "1440"),
    ({"conditions": [{"id": rules.FREQUENCY, "value": -1, "interval": "1h"}]}, "value"),
    (
        {
            "conditions": [
                {"id": rules.FREQUENCY, "value": 1, "interval": "1h", "comparisonType": "percent"}
            ]
        },
        "comparisonType",
    ),  # fmt: skip
    ({"conditions": [NEW_ISSUE, {"id": rules.REGRESSION}], "actionMatch": "all"}, "any"),
    ({"filters": [{"id": rules.LEVEL, "match": "lte", "level": "40"}]}, "gte"),
    ({"filters": [{"id": rules.LEVEL, "match": "gte", "level": "10"}]}, "Debug"),
    ({"filters": [{"id": rules.TAGGED, "key": "", "value": "x"}]}, "tag"),
    ({"actions": [{"id": rules.WEBHOOK, "url": "ftp://example.com/x"}]}, "http"),
    ({"actions": [{"id": rules.WEBHOOK, "url": "http://[::1"}]}, "URL"),
    ({"actions": [{"id": rules.WEBHOOK, "url": "http://127.0.0.1:9/x"}]}, "Private"),
    ({"actions": [{"id": rules.WEBHOOK, "url": "https://" + "a" * 500 + ".com/"}]}, "500"),
    ({"actions": [{"id": rules.ADDRESS, "address": "not an address"}]}, "not an email"),
    ({"actions": [{"id": rules.ADDRESS, "address": "a@example.org, b@example.org"}]}, "one"),
    ({"actions": [{"id": rules.WEBHOOK, "url": ""}]}, "url"),
    (
        {
            "actions": [
                {"id": rules.WEBHOOK, "url": "https://a.example/"},
                {"id": rules.WEBHOOK, "url": "https://b.example/"},
            ]
        },
        "at most",
    ),  # fmt: skip
    ({"actions": [{"id": rules.EMAIL, "targetType": "Team", "targetIdentifier": "1"}]}, "team"),
    (
        {"actions": [{"id": rules.EMAIL, "targetType": "Member", "targetIdentifier": "9" * 30}]},
        "targetIdentifier",
    ),  # fmt: skip
    ({"frequency": 10**12}, "frequency"),
    ({"frequency": -1}, "frequency"),
    ({"name": "x" * 101}, "name"),
    ({"name": "\ud800"}, "surrogate"),
    ({"environments": ["a,b"]}, "commas"),
    ({"environments": [f"env{n}" for n in range(21)]}, "20"),
    ({"conditions": "first seen"}, "conditions"),
    ({"conditions": [{"value": 3}]}, "id"),
]


@pytest.mark.parametrize(("change", "says"), BAD)
def test_bad_rules_are_400_with_a_detail(api_as, alice, project, change, says):
    body = {"name": "r", "conditions": [NEW_ISSUE], "actions": [ALL_MEMBERS], **change}
    client = api_as(alice).client
    # As raw JSON text: the test client could not encode a lone surrogate itself.
    response = client.post(f"/api/0/{RULES}", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.json()
    assert says.lower() in response.json()["detail"].lower(), response.json()
    rule = project.alert_rules.get()
    path = f"/api/0/{RULES}{rule.pk}/"
    assert client.put(path, json.dumps(change), content_type="application/json").status_code == 400
    assert project.alert_rules.count() == 1


def test_a_member_of_another_org_cannot_be_emailed(api_as, alice, charlie, project):
    action = {"id": rules.EMAIL, "targetType": "Member", "targetIdentifier": str(charlie.pk)}
    body = {"name": "r", "conditions": [NEW_ISSUE], "actions": [action]}
    response = api_as(alice).post(RULES, body)
    assert response.status_code == 400 and response.json()["detail"].startswith("actions:")


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/a", "http://hooks.example.com:8080/a", "ftp://example.com/",
     "http://[::1", "http://10.0.0.1/a", "http://localhost:8000/admin/", "https:///nohost",
     "http://example.com:99999/"],
)  # fmt: skip
def test_the_api_and_the_dashboard_agree_on_webhooks(api_as, alice, project, url):
    form = RuleForm(
        {"name": "r", "on_new_issue": "on", "webhook_url": url, "throttle_minutes": "30"},
        project=project,
    )
    body = {"name": "r", "conditions": [NEW_ISSUE], "actions": [{"id": rules.WEBHOOK, "url": url}]}
    status = api_as(alice).post(RULES, body).status_code
    assert status == (201 if form.is_valid() else 400), form.errors


def test_writes_take_a_bounded_number_of_queries(
    api_as, alice, bob, dave, project, django_assert_max_num_queries
):
    api = api_as(alice)
    api.get("")  # last_used is written once a minute

    def round_trip(users) -> list[int]:
        members = [{"id": rules.EMAIL, "targetType": "Member", "targetIdentifier": u.pk}
                   for u in users]  # fmt: skip
        body = {**FULL, "actions": FULL["actions"] + members}
        counts = []
        for call in (lambda: api.post(RULES, body),
                     lambda: api.put(f"{RULES}{project.alert_rules.latest('pk').pk}/", body),
                     lambda: api.delete(f"{RULES}{project.alert_rules.latest('pk').pk}/")):  # fmt: skip
            with (
                django_assert_max_num_queries(12),
                CaptureQueriesContext(connection) as seen,
            ):  # + the audit entry and its organization
                assert call().status_code in (200, 201, 204)
            counts.append(len(seen))
        return counts

    assert round_trip([alice]) == round_trip([alice, bob, dave])  # not per member


@pytest.mark.usefixtures("fast_retries", "ingest_queue")
def test_a_rule_made_through_the_api_fires(
    api_as,
    alice,
    project,
    mailoutbox,
    webhook_server,
):
    project.alert_rules.all().delete()
    body = {
        "name": "Errors in production",
        "conditions": [NEW_ISSUE],
        "filters": [{"id": rules.LEVEL, "match": "gte", "level": "40"}],
        "environment": "production",
        "actions": [{"id": rules.WEBHOOK, "url": webhook_server.url},
                    {"id": rules.ADDRESS, "address": "oncall@example.org"}],
    }  # fmt: skip
    response = api_as(alice).post(RULES, body)
    assert response.status_code == 201, response.json()
    rule_id = int(response.json()["id"])
    store(project, message_event(level="warning", environment="production"))
    store(project, python_error(environment="staging"))
    assert not Delivery.objects.exists()  # filtered out: level, then environment
    (issue,) = store(project, python_error(type_="KeyError", environment="production"))
    deliveries = Delivery.objects.filter(rule_id=rule_id, issue=issue).order_by("channel")
    assert [(d.channel, d.status, d.reason) for d in deliveries] == [
        ("email", "sent", "new_issue"), ("webhook", "sent", "new_issue")]  # fmt: skip
    assert [m.to for m in mailoutbox] == [["oncall@example.org"]]
    (request,) = webhook_server.requests
    assert (
        request["json"]["rule"] == "Errors in production" and "KeyError" in request["json"]["text"]
    )
    reader = api_as(alice, ["read"])
    first = reader.get(f"{RULES}{rule_id}/deliveries/", {"limit": 1})
    assert len(first.json()) == 1 and 'rel="next"; results="true"' in first["Link"]
    cursor = first["Link"].split('rel="next"; results="true"; cursor="')[1].split('"')[0]
    second = reader.get(f"{RULES}{rule_id}/deliveries/", {"limit": 1, "cursor": cursor}).json()
    shown = first.json() + second
    assert sorted(d["channel"] for d in shown) == ["email", "webhook"]
    assert {d["issueId"] for d in shown} == {str(issue.pk)} and shown[0]["status"] == "sent"
    assert {d["target"] for d in shown} == {"oncall@example.org", "http://127.0.0.1/…"}


def test_the_feedback_trigger_round_trips(api_as, alice, project):
    """The dashboard's "a user sends feedback" trigger and its webhook option, in the API."""
    api = api_as(alice)
    hook = {"id": rules.WEBHOOK, "url": "https://hooks.example.org/x", "includeReporterEmail": True}
    body = {"name": "Feedback", "conditions": [{"id": rules.FEEDBACK}], "actions": [hook]}
    created = api.post(RULES, body)
    assert created.status_code == 201, created.json()
    shown = created.json()
    rule = NotificationRule.objects.get(pk=shown["id"])
    assert rule.on_feedback and rule.feedback_email_in_webhook
    assert not (rule.on_new_issue or rule.on_regression or rule.on_frequency or rule.on_every_event)
    assert [c["id"] for c in shown["conditions"]] == [rules.FEEDBACK]
    assert shown["conditions"][0]["name"] == "A user sends feedback about an issue"
    assert shown["actions"][0]["includeReporterEmail"] is True
    one = f"{RULES}{rule.pk}/"
    assert api.get(one).json() == shown
    again = api.put(one, shown).json()  # what GET shows, PUT takes back
    assert again["conditions"] == shown["conditions"] and again["actions"] == shown["actions"]

    # Left out of a new list: off, as for the other triggers and options.
    plain = {"id": rules.WEBHOOK, "url": "https://hooks.example.org/x"}
    changed = api.put(one, {"conditions": [NEW_ISSUE, {"id": rules.FEEDBACK}], "actions": [plain]})
    rule.refresh_from_db()
    assert rule.on_feedback and rule.on_new_issue and not rule.feedback_email_in_webhook
    assert {c["id"] for c in changed.json()["conditions"]} == {rules.FIRST_SEEN, rules.FEEDBACK}
    api.put(one, {"conditions": [NEW_ISSUE]})
    rule.refresh_from_db()
    assert rule.on_new_issue and not rule.on_feedback

    # A rule made in the dashboard with the trigger reads back with it.
    made = NotificationRule.objects.create(
        project=project, name="From the form", on_feedback=True, email_to="all"
    )
    listed = {r["id"]: r for r in api.get(RULES).json()}
    assert [c["id"] for c in listed[str(made.pk)]["conditions"]] == [rules.FEEDBACK]


@pytest.mark.usefixtures("ingest_queue")
def test_a_feedback_rule_made_through_the_api_fires(api_as, alice, project):
    from alerts.evaluate import evaluate_feedback

    project.alert_rules.all().delete()
    body = {"name": "Feedback", "conditions": [{"id": rules.FEEDBACK}],
            "actions": [{"id": rules.ADDRESS, "address": "support@example.org"}]}  # fmt: skip
    rule_id = int(api_as(alice).post(RULES, body).json()["id"])
    (issue,) = store(project, python_error())
    feedback = {"project_id": project.pk, "issue_id": issue.pk, "event_id": "a" * 32,
                "message": "It broke", "name": "Jane", "email": "jane@example.com", "url": ""}  # fmt: skip
    assert evaluate_feedback([feedback])
    (delivery,) = Delivery.objects.filter(rule_id=rule_id)
    assert (delivery.reason, delivery.target) == ("feedback", "support@example.org")
    assert delivery.feedback["message"] == "It broke"
