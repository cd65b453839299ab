from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Attorneys"
# Attorneys work leads: view and change them, and read their status history.
# Deleting leads and managing users stay with superusers.
PERMISSIONS = [("leads", "view_lead"), ("leads", "change_lead"), ("leads", "view_statuschange")]


def create_attorneys_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure ours exist now.
    leads_config = apps.get_app_config("leads")
    leads_config.models_module = True
    create_permissions(leads_config, apps=apps, verbosity=0)
    leads_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def delete_attorneys_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("leads", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_attorneys_group, delete_attorneys_group)]
