from django.db import migrations


def fill_default_rules(apps, schema_editor):
    """Projects made before rules existed get the same default rule a new project gets."""
    Project = apps.get_model("projects", "Project")
    NotificationRule = apps.get_model("alerts", "NotificationRule")
    with_rules = NotificationRule.objects.values("project_id")
    NotificationRule.objects.bulk_create(
        NotificationRule(
            project=project,
            name="Email members about new issues and regressions",
            on_new_issue=True,
            on_regression=True,
            email_to="all",
        )
        for project in Project.objects.exclude(pk__in=with_rules).iterator()
    )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_rules_and_deliveries")]

    operations = [migrations.RunPython(fill_default_rules, migrations.RunPython.noop)]
