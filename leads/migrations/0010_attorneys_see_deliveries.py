from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Attorneys"
# Attorneys see every email and webhook call and retry the failed ones ("change").
PERMISSIONS = ["view_delivery", "change_delivery"]


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
    dependencies = [("leads", "0009_assignment_notes")]

    operations = [migrations.RunPython(grant, revoke)]
