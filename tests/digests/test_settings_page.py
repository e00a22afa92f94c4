"""The per-user settings page: login, own projects only, validation as 400s, CSRF."""

import pytest
from django.test import Client

from digests import prefs
from digests.models import NotificationSettings

pytestmark = pytest.mark.django_db

URL = "/notifications/settings/"


def valid(**changes):
    data = {
        "immediate_email": "on",
        "digest_frequency": "daily",
        "digest_hour": "7",
        "digest_weekday": "2",
        "timezone": "Europe/Berlin",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_page_lists_only_the_users_projects_and_is_linked_from_the_menu(client, world):
    client.force_login(world.ann)
    page = client.get(URL).content.decode()
    assert "Org A / Backend" in page and "Org A / Frontend" in page
    assert "Billing" not in page
    assert f'href="{URL}"' in client.get("/").content.decode()


def test_saving_settings(client, world):
    client.force_login(world.ann)
    response = client.post(URL, valid(muted_projects=[world.frontend.pk], immediate_email=None))
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=world.ann)
    assert (saved.digest_frequency, saved.digest_hour, saved.digest_weekday, saved.timezone) == (
        "daily",
        7,
        2,
        "Europe/Berlin",
    )
    assert list(saved.muted_projects.all()) == [world.frontend]
    assert not prefs.wants_immediate_email(world.ann, world.backend)  # immediate emails off
    assert saved.digest_since is None  # digests were never off: the history continues


def test_turning_digests_back_on_starts_them_from_now(client, world):
    client.force_login(world.ann)
    client.post(URL, valid(digest_frequency="off"))
    assert NotificationSettings.objects.get(user=world.ann).digest_since is None
    client.post(URL, valid(digest_frequency="hourly"))
    assert NotificationSettings.objects.get(user=world.ann).digest_since is not None


@pytest.mark.parametrize(
    "changes",
    [
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"digest_hour": "24"},
        {"digest_hour": "-1"},
        {"digest_hour": "x"},
        {"digest_weekday": "7"},
        {"digest_frequency": "monthly"},
    ],
)
def test_bad_input_is_a_400(client, world, changes):
    client.force_login(world.ann)
    response = client.post(URL, valid(**changes))
    assert response.status_code == 400
    assert NotificationSettings.objects.get(user=world.ann).digest_frequency == "hourly"


def test_another_organizations_project_cannot_be_muted(client, world):
    client.force_login(world.ann)
    response = client.post(URL, valid(muted_projects=[world.billing.pk]))
    assert response.status_code == 400
    assert not NotificationSettings.objects.get(user=world.ann).muted_projects.exists()


def test_csrf_is_required(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.ann)
    assert client.post(URL, valid()).status_code == 403
