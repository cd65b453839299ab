"""Background work, run by `manage.py db_worker` (django.tasks with django_tasks_db).

Services queue these inside their own transaction, so a task exists exactly when the change
that caused it committed. Arguments are ids and plain values, never model instances. The
work itself lives in `leads.outbox` (what follows a change) and `leads.deliveries` (one
attempt at one email or webhook call); these are the entry points the worker runs.
"""

from django.tasks import task

from . import deliveries, outbox, resume_text


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
def handle_event(event: str, lead_ids: list[str], data: dict | None = None) -> str:
    """Fan out what a change to leads after their submission causes (reached out, assigned,
    deleted): one task per action, however many leads it touched."""
    return outbox.handle_event(event, lead_ids, data)


@task
def extract_resume_text(lead_id: str) -> str:
    """Read a lead's resume text into the lead and its search vector (a child process)."""
    return resume_text.extract_for_lead(lead_id)


@task
def extract_resubmission_text(resubmission_id: str) -> str:
    """Read a resubmission's resume text and add it to its lead's search vector."""
    return resume_text.extract_for_resubmission(resubmission_id)


@task
def remove_files(names: list[str], attempt: int = 1) -> str:
    """Remove the stored files of deleted rows; what fails is queued again with backoff."""
    return outbox.remove_files(names, attempt)
