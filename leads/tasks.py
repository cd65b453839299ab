"""Background work, run by `manage.py db_worker` (django.tasks with django_tasks_db).

Services queue these inside their own transaction, so a task exists exactly when the change
that caused it committed. Arguments are ids and plain values, never model instances. The
work itself lives in `leads.outbox` (what follows a change) and `leads.deliveries` (one
attempt at one email or webhook call); these are the entry points the worker runs.
"""

from django.tasks import task

from . import deliveries, outbox


@task
def process_application(application: dict) -> str:
    """Fan out a public-form or API submission: a new lead's emails and the rest, or the
    resubmission of a known address."""
    return outbox.process_application(application)


@task
def send_delivery(delivery_id: str) -> str:
    """One attempt at one delivery; schedules the next attempt itself on a temporary fault."""
    return deliveries.attempt(delivery_id)


@task
def remove_files(names: list[str], attempt: int = 1) -> str:
    """Remove the stored files of deleted rows; what fails is queued again with backoff."""
    return outbox.remove_files(names, attempt)
