"""Answers searched like names: a trigram GIN index on UPPER(text) on PostgreSQL (what
`icontains` compiles to, see 0004_trigram_search), built CONCURRENTLY, hence non-atomic.
Attorneys may view the practice areas and questions (the admin's "Intake form")."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

INDEX = "answer_text_trgm"
GROUP = "Attorneys"
PERMISSIONS = ["view_practicearea", "view_question"]


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
        "ON leads_answer USING gin ((UPPER(text::text)) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


def grant(apps, schema_editor):
    leads_config = apps.get_app_config("leads")
    leads_config.models_module = True
    create_permissions(leads_config, apps=apps, verbosity=0)
    leads_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="leads", codename__in=PERMISSIONS)
        )


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="leads", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("leads", "0030_intake_questions")]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
        migrations.RunPython(grant, revoke, elidable=False),
    ]
