"""The setup page: the snippet for the project's platform first, every one with the DSN."""

import re

import pytest
from django.urls import reverse

from projects import snippets
from tests.support.factories import ProjectFactory

pytestmark = pytest.mark.django_db

ALL = ["python", "javascript", "node", "go", "ruby", "php", "java", "csharp", "logging",
       "client", "raven", "airbrake"]  # fmt: skip


@pytest.mark.parametrize("platform", ["go", "node", "csharp", "python"])
def test_the_projects_platform_comes_first_with_its_dsn(client, alice, org_a, platform):
    project = ProjectFactory(organization=org_a, name="Shop", slug="shop", platform=platform)
    key = project.keys.get()
    client.force_login(alice)
    page = client.get(reverse("projects:setup", args=[org_a.slug, "shop"])).content.decode()
    shown = re.findall(r'<details class="snippet-block" id="setup-([a-z]+)"', page)
    assert shown[0] == platform and sorted(shown) == sorted(ALL)
    assert "this project's platform" in page
    first = page[page.index(f'id="snippet-{platform}"') :].split("</pre>")[0]
    assert key.dsn() in first


def test_every_snippet_has_the_address_it_needs():
    found = snippets.snippets(
        "other", dsn="http://k@h:8000/7", secret_dsn="http://k:s@h:8000/7",
        udp_dsn="udp://k@h:9001/7", udp_secret_dsn="udp://k:s@h:9001/7",
        base_url="http://h:8000", project_id=7, public_key="k",
    )  # fmt: skip
    assert found[0].key == "python"  # no snippet of its own: Python first
    by_key = {s.key: s.code for s in found}
    for key in ALL[:9]:
        assert "http://k@h:8000/7" in by_key[key], key
    assert "udp://k@h:9001/7" in by_key["client"]
    assert "http://k:s@h:8000/7" in by_key["raven"] and "udp://k:s@h:9001/7" in by_key["raven"]
    assert "project_id=7" in by_key["airbrake"] and 'project_key="k"' in by_key["airbrake"]
