from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Attorneys"
# Attorneys review the honeypot's catch and restore a real prospect ("change"); the rows
# expire on their own, so deleting them is nobody's job.
PERMISSIONS = ["view_trappedsubmission", "change_trappedsubmission"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure ours exist now.
    leads_config = apps.get_app_config("leads")
    leads_config.models_module = True
    create_permissions(leads_config, apps=apps, verbosity=0)
    leads_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.add(*Permission.objects.filter(content_type__app_label="leads", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        Permission = apps.get_model("auth", "Permission")
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="leads", codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("leads", "0018_lead_text_validators")]

    operations = [migrations.RunPython(grant, revoke)]
