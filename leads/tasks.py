"""Background work, run by `manage.py db_worker`."""

from django.tasks import task

from .emails import send_new_lead_emails as send_emails


@task
def send_new_lead_emails(lead_id: str) -> None:
    """Send the prospect's confirmation and the attorneys' notification for one lead."""
    send_emails(lead_id)
