import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from digests import prefs
from digests.models import NotificationSettings
from tests.support.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def make_user(name="ann"):
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw-123456789")


def test_defaults_want_immediate_email():
    assert prefs.wants_immediate_email(make_user(), ProjectFactory())


def test_unsubscribe_link_mutes_one_project_without_login(client):
    user, project, other = make_user(), ProjectFactory(), ProjectFactory()
    url = prefs.unsubscribe_url(user, project)
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and prefs.wants_immediate_email(user, project)  # GET only asks
    assert client.post("/" + path).status_code == 200
    assert not prefs.wants_immediate_email(user, project)
    assert prefs.wants_immediate_email(user, other)


def test_unsubscribe_from_everything_turns_digests_off(client):
    user = make_user()
    path = "/" + prefs.unsubscribe_url(user).split("://", 1)[1].split("/", 1)[1]
    client.post(path)
    settings_obj = NotificationSettings.objects.get(user=user)
    assert not settings_obj.immediate_email
    assert settings_obj.digest_frequency == NotificationSettings.Frequency.OFF


def test_a_forged_token_is_404(client):
    user = make_user()
    token = prefs.unsubscribe_token(user)
    assert client.post(f"/notifications/unsubscribe/{token[:-2]}xx/").status_code == 404


def test_smtp_fixture_receives_real_mail(smtp_server):
    mail.send_mail("hello", "body text", "from@example.com", ["to@example.com"])
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == "hello" and "body text" in message.get_content()
    assert smtp_server.envelopes[0][1] == ["to@example.com"]
