"""Queued tasks follow their functions into leads/worker/: a row written before the move
names leads.tasks.<name>, which no longer exists, so the worker could not import it. Every
task row (queued, running or finished) is renamed, and back on the way down."""

from django.db import migrations

MOVED = {
    "leads.tasks.process_application": "leads.worker.fanout.process_application",
    "leads.tasks.handle_event": "leads.worker.fanout.handle_event",
    "leads.tasks.send_delivery": "leads.worker.deliveries.send_delivery",
    "leads.tasks.remove_files": "leads.worker.files.remove_files",
    "leads.tasks.extract_resume_text": "leads.worker.resume_text.extract_resume_text",
    "leads.tasks.extract_resubmission_text": "leads.worker.resume_text.extract_resubmission_text",
}


def rename(apps, paths: dict[str, str]) -> None:
    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in paths.items():
        task_results.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    rename(apps, MOVED)


def backwards(apps, schema_editor):
    rename(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0026_delivery_printed"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
