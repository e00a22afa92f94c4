"""events 0009: issues made before short ids get 1, 2, ... per project, and the counters."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("events", "0008_drop_redundant_fk_indexes"), ("projects", "0001_initial")]
AFTER = [("events", "0009_issue_short_number")]


@pytest.mark.django_db(transaction=True)
def test_existing_issues_are_numbered_per_project_in_the_order_they_were_made():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Organization = apps.get_model("projects", "Organization")
    Project = apps.get_model("projects", "Project")
    Issue = apps.get_model("events", "Issue")
    org = Organization.objects.create(name="Acme", slug="acme")
    web, api = (Project.objects.create(organization=org, name=n, slug=n) for n in ("web", "api"))
    now = timezone.now()
    made = [
        Issue.objects.create(
            project=p,
            grouping_version="v1",
            fingerprint=f"{i:032x}",
            title=f"issue {i}",
            first_seen=now,
            last_seen=now,
        )  # fmt: skip
        for i, p in enumerate([web, api, web, web, api])
    ]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Issue = apps.get_model("events", "Issue")
    Project = apps.get_model("projects", "Project")
    numbers = [Issue.objects.get(pk=i.pk).short_number for i in made]
    assert numbers == [1, 1, 2, 3, 2]
    assert dict(Project.objects.values_list("slug", "issue_counter")) == {"web": 3, "api": 2}
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for other tests
