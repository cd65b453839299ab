"""Erasing leads for good: the rows, the queued work that mentions them, the admin log's
names, and their files after the commit. Shared by the services (deletion, erasure,
retention) and the worker's periodic purge of the trash, which cannot import the services."""

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from leads.models import Lead, LeadQuerySet, Resubmission

from .files import remove_files
from .queued import submissions_after, task_rows_mentioning, waiting_application_files

# What the admin log keeps of an entry about a lead that was deleted.
DELETED_LEAD_REPR = "deleted lead"
# Leads erased per transaction by the periodic purge: short locks, and a large trash is
# emptied over a few passes.
PURGE_BATCH = 500


def erase_leads(leads: LeadQuerySet) -> list:
    """Erase `leads` (in the trash or not) with everything recorded about them; returns the ids.

    In the caller's transaction (one of its own otherwise): their rows (history, notes,
    resubmissions, deliveries and downloads go with them), the queued work that mentions them
    or any address they have had (but a submission to a trashed lead's address made after it
    went to the trash, which starts afresh), the name and id in the admin log's entries about them, and
    ONE task that removes every file of theirs once the delete has committed.
    """
    with transaction.atomic():
        # Locked first: a worker recording a resubmission holds the same row lock, so no
        # resubmission (and no file) can appear between reading the names and the delete.
        locked = Lead.all_objects.filter(pk__in=leads.values("pk")).select_for_update()
        rows = list(locked.values_list("pk", "email", "former_emails", "resume", "email_key", "deleted_at"))
        if not rows:
            return []
        ids = [pk for pk, *_ in rows]
        names = {resume for _, _, _, resume, _, _ in rows}
        names |= set(Resubmission.objects.filter(lead_id__in=ids).values_list("resume", flat=True))
        addresses = [address for _, email, former, *_ in rows for address in (email, *former)]
        queued = task_rows_mentioning(lead_ids=ids, emails=addresses)
        # A submission to a trashed lead's address made after it went to the trash is a new
        # start (fanout.process_application), not the trashed lead's: it stays, with its file.
        trashed = {key: deleted_at for _, _, _, _, key, deleted_at in rows if deleted_at is not None}
        queued = queued.exclude(pk__in=list(submissions_after(trashed, queued)))
        names |= waiting_application_files(queued)
        queued.delete()
        scrub_admin_log(ids)
        Lead.all_objects.filter(pk__in=ids).delete()
        queue_file_removal(names)
    return ids


def scrub_admin_log(lead_ids: list) -> int:
    """Keep who did what when in the admin log's entries about these leads, not which lead:
    their id, their label and the changed fields' description go."""
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), object_id__in=[str(pk) for pk in lead_ids]
    ).update(object_id=None, object_repr=DELETED_LEAD_REPR, change_message="")


def queue_file_removal(names) -> None:
    """Queue the removal of these stored files, in the caller's transaction."""
    if names := sorted(name for name in names if name):
        remove_files.enqueue(names)


def trash_expired() -> LeadQuerySet:
    """Leads in the trash for LEAD_TRASH_DAYS or longer (index lead_deleted_idx)."""
    cutoff = timezone.now() - timedelta(days=settings.LEAD_TRASH_DAYS)
    return Lead.trash.filter(deleted_at__lte=cutoff)


def purge_trash() -> int:
    """Erase the leads whose time in the trash is over, batch by batch; returns how many.
    Any number of workers may run it at once: each batch is read under a lock that skips rows
    another holds, and an erased lead is erased once."""
    erased = 0
    while True:
        with transaction.atomic():
            batch = list(
                trash_expired()
                .order_by("deleted_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not batch:
                return erased
            erased += len(erase_leads(Lead.all_objects.filter(pk__in=batch)))
