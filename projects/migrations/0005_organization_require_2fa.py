from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0004_quotas_and_filters'),
    ]

    operations = [
        migrations.AddField(
            model_name='organization',
            name='require_2fa',
            field=models.BooleanField(default=False),
        ),
    ]
