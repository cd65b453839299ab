"""Leads pending when speed to lead arrives are looked at by the worker's next pass: it
works out their due time and, when a backlog is overdue at once, sends each attorney one
summary and counts their steps as done. One UPDATE; backwards, nothing to undo."""

from django.db import migrations
from django.utils import timezone


def look_at_pending_leads(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    Lead.objects.using(schema_editor.connection.alias).filter(status="PENDING").update(
        next_follow_up_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [("leads", "0050_speed_to_lead")]

    operations = [migrations.RunPython(look_at_pending_leads, migrations.RunPython.noop, elidable=True)]
