"""What follows a change, done by the worker: the fan-out of one queued task into deliveries.

A request does only what must be atomic (the lead row and one task); everything that may
be slow or may fail — picking recipients, writing delivery rows, sending — happens here,
each fan-out in one transaction that holds the lead's row lock.
"""

import json
import logging
import re
from collections.abc import Collection
from datetime import datetime

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Lower
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import deliveries, emails, tasks
from .deliveries import RetryPolicy
from .models import SHARED_RESUME_PREFIX, Delivery, Lead, Resubmission

logger = logging.getLogger(__name__)

# Words are what lies between spaces, quotes, brackets and the like: "ada@example.com" and a
# lead's id are one word each, "lovelace.ada@example.com" is another word.
DELIMITERS = r"""\s"'<>()\[\]{},;:=/\\"""
WORD = re.compile(f"[^{DELIMITERS}]+")

# A file that could not be removed is tried again 30 s later, then 1 min, 2 min ... at most
# an hour apart (about 4.5 hours in all); after the last attempt the task fails (visible
# in the admin's task results) and purge_leads' orphan sweep removes the file later.
FILE_REMOVAL_RETRY = RetryPolicy(max_attempts=10, base_seconds=30, max_seconds=3600)


def process_application(application: dict) -> str:
    """A submission's fan-out: the new lead's emails, or — when its address was already on
    file and the form inserted nothing — the resubmission recorded on the existing lead."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=application["lead_id"]).first()
        if lead is not None:
            lead_created(lead)
            return "created"
        if not application["resubmit"]:
            return "gone"  # created and deleted again before the worker came to it
        storage = Resubmission._meta.get_field("resume").storage
        lead = Lead.objects.select_for_update().by_email(application["email"])
        if lead is None or not storage.exists(application["resume"]):
            # No lead under this address any more (deleted or erased since), or this was
            # a new lead deleted again with its file: keep nothing of the submission.
            remove_files([application["resume"]])
            return "discarded"
        resubmission = Resubmission.objects.create(
            lead=lead,
            resume=application["resume"],
            created_at=datetime.fromisoformat(application["submitted_at"]),
            source=application["source"],
            referrer=application["referrer"],
        )
        lead_resubmitted(lead, resubmission)
        return "resubmitted"


def lead_created(lead: Lead) -> None:
    """A new lead: the prospect's confirmation and the attorneys' notification."""
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.CONFIRMATION)
    notify_attorneys(lead, kind=Delivery.Kind.NOTIFICATION)


def lead_resubmitted(lead: Lead, resubmission: Resubmission) -> None:
    """A known address applied again: a short "received again" email to the address on
    file, and the attorneys told."""
    payload = {"resubmission": str(resubmission.pk)}
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.RESUBMISSION_CONFIRMATION, payload=payload)
    notify_attorneys(lead, kind=Delivery.Kind.RESUBMISSION_NOTIFICATION, payload=payload)


def notify_attorneys(lead: Lead, *, kind: str, payload: dict | None = None) -> None:
    """One email per attorney recipient; with nobody to tell, a failed delivery saying so."""
    recipients = emails.attorney_recipients()
    if not recipients:
        deliveries.refuse(
            kind=kind,
            channel=Delivery.Channel.EMAIL,
            recipient="",
            lead=lead,
            reason="Nobody to notify: no active attorney (Attorneys group) has an email address "
            "and ATTORNEY_NOTIFY_EMAILS is empty.",
        )
        return
    for address in recipients:
        deliveries.queue(
            kind=kind, channel=Delivery.Channel.EMAIL, recipient=address, lead=lead, payload=payload
        )


class FilesNotRemoved(Exception):
    """Files the storage refused to remove at every attempt."""


def remove_files(names: list[str], attempt: int = 1) -> str:
    """Remove stored files whose rows are gone; a shared file only once no lead points at it.

    What the storage fails to remove is queued again (tasks.remove_files) with backoff; the
    names are the random ones files are stored under, never anything of the prospect.
    """
    failed, reason = [], ""
    for name in names:
        if name.startswith(SHARED_RESUME_PREFIX) and Lead.objects.filter(resume=name).exists():
            continue
        try:
            default_storage.delete(name)
        except Exception as exc:  # whatever the storage raises: OSError, botocore's errors, ...
            failed.append(name)
            reason = type(exc).__name__
    if not failed:
        return f"removed {len(names)}"
    if attempt >= FILE_REMOVAL_RETRY.max_attempts:
        raise FilesNotRemoved(f"{len(failed)} file(s) not removed after {attempt} attempts ({reason})")
    delay = FILE_REMOVAL_RETRY.delay(attempt)
    tasks.remove_files.using(run_after=timezone.now() + delay).enqueue(failed, attempt + 1)
    logger.warning(
        "%d of %d file(s) not removed (%s); attempt %d of %d in %d s",
        len(failed),
        len(names),
        reason,
        attempt + 1,
        FILE_REMOVAL_RETRY.max_attempts,
        delay.total_seconds(),
    )
    return f"removed {len(names) - len(failed)}; {len(failed)} to retry"


def mentioning(needles: Collection[str]) -> str:
    """A regular expression (for `__iregex`) matching any of `needles` as a whole word, as
    `words()` splits text: an address inside a longer one does not match."""
    return f"(^|[{DELIMITERS}])({'|'.join(map(re.escape, needles))})($|[{DELIMITERS}])"


def task_rows_mentioning(*, lead_ids: Collection, emails: Collection[str]) -> QuerySet[DBTaskResult]:
    """Task rows, queued or finished, that name one of these leads or addresses.

    A submission (process_application) is matched by its lead id or its address, whole and
    in any letter case (`emails` lowered by the database, as Lower() does), in SQL. Tasks
    that carry only our own row ids or random file names (send_delivery, remove_files: most
    of the table) are not searched; any other task, and every failure's error text, is read
    word by word here, so the cost follows those rows, not how many leads are looked for.
    """
    ids = [str(pk) for pk in lead_ids]
    submissions = Q(task_path=tasks.process_application.module_path) & (
        Q(submitted_lead__in=ids) | Q(submitted_email__in=emails)
    )
    anonymous = [tasks.process_application, tasks.send_delivery, tasks.remove_files]
    others = DBTaskResult.objects.filter(
        ~Q(task_path__in=[task.module_path for task in anonymous]) | Q(status=TaskResultStatus.FAILED)
    )
    needles = {needle.lower() for needle in [*ids, *emails]}
    named = [
        pk
        for pk, args, result, error in others.values_list("pk", "args_kwargs", "return_value", "traceback")
        if needles & words(f"{json.dumps([args, result], ensure_ascii=False)} {error}")
    ]
    return DBTaskResult.objects.alias(
        # Cast: a plain text comparison, not the JSON one `__in` would make of a key transform.
        submitted_lead=Cast(KT("args_kwargs__args__0__lead_id"), TextField()),
        submitted_email=Lower(KT("args_kwargs__args__0__email")),
    ).filter(submissions | Q(pk__in=named))


def words(text: str) -> set[str]:
    """The words of `text`, lowered, an address or an id each one word."""
    return {word.lower() for word in WORD.findall(text)}


def db_lower(value: str) -> str:
    """`value` lowered as the database's LOWER() does it (SQLite: ASCII letters only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT LOWER(%s)", [value])
        return cursor.fetchone()[0]


def waiting_application_files(rows: QuerySet[DBTaskResult]) -> set[str]:
    """The resume files of the submissions among `rows` that the worker has not processed."""
    waiting = rows.filter(
        task_path=tasks.process_application.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    )
    return {args_kwargs["args"][0]["resume"] for args_kwargs in waiting.values_list("args_kwargs", flat=True)}
