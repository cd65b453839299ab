"""What the queue holds about a prospect: the task rows, queued or finished, that name a lead
or an address (erasure and deletion remove them), and the resume files of submissions the
worker has not processed yet."""

import json
import re
from collections.abc import Collection
from datetime import datetime

from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Lower
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leads.validators import email_key

from .deliveries import send_delivery
from .files import remove_files

# A submission's task (fanout.process_application) as its rows name it: this module reads those
# rows as data, and the fan-out, which erases a trashed lead its submission supersedes, sits
# above it (a test holds the two equal).
APPLICATION_TASK = "leads.worker.fanout.process_application"
WAITING = [TaskResultStatus.READY, TaskResultStatus.RUNNING]

# Words are what lies between spaces, quotes, brackets and the like: "ada@example.com" and a
# lead's id are one word each, "lovelace.ada@example.com" is another word.
DELIMITERS = r"""\s"'<>()\[\]{},;:=/\\"""
WORD = re.compile(f"[^{DELIMITERS}]+")


def task_rows_mentioning(*, lead_ids: Collection, emails: Collection[str]) -> QuerySet[DBTaskResult]:
    """Task rows, queued or finished, that name one of these leads or addresses.

    A submission (process_application) is matched by its lead id or its address, in SQL: by
    the address's normalised form (validators.email_key), which submissions carry, and, for
    rows queued before they did, by the address as typed in any letter case (both sides
    lowered by the database). Tasks that carry only our own row ids or random file names
    (send_delivery, remove_files: most of the table) are not searched; any other task, and
    every failure's error text, is read word by word here, so the cost follows those rows,
    not how many leads are looked for.
    """
    ids = [str(pk) for pk in lead_ids]
    keys = {email_key(email) for email in emails} - {""}
    typed = [Lower(Value(email, output_field=TextField())) for email in emails if email]
    submissions = Q(task_path=APPLICATION_TASK) & (
        Q(submitted_lead__in=ids) | Q(submitted_email__in=[*sorted(keys), *typed])
    )
    anonymous = [APPLICATION_TASK, send_delivery.module_path, remove_files.module_path]
    others = DBTaskResult.objects.filter(~Q(task_path__in=anonymous) | Q(status=TaskResultStatus.FAILED))
    needles = {needle.lower() for needle in [*ids, *emails, *keys]}
    named = [
        pk
        for pk, args, result, error in others.values_list("pk", "args_kwargs", "return_value", "traceback")
        if needles & words(f"{json.dumps([args, result], ensure_ascii=False)} {error}")
    ]
    return with_submitted_address(DBTaskResult.objects).filter(submissions | Q(pk__in=named))


def with_submitted_address(rows: QuerySet[DBTaskResult]) -> QuerySet[DBTaskResult]:
    """`rows` able to filter on a submission's lead id and address (submitted_lead,
    submitted_email)."""
    return rows.alias(
        # Cast: a plain text comparison, not the JSON one `__in` would make of a key transform.
        submitted_lead=Cast(KT("args_kwargs__args__0__lead_id"), TextField()),
        submitted_email=Lower(KT("args_kwargs__args__0__email")),
    )


def words(text: str) -> set[str]:
    """The words of `text`, lowered, an address or an id each one word."""
    return {word.lower() for word in WORD.findall(text)}


def waiting_application_files(rows: QuerySet[DBTaskResult]) -> set[str]:
    """The resume files of the submissions among `rows` that the worker has not processed."""
    waiting = rows.filter(task_path=APPLICATION_TASK, status__in=WAITING)
    return {args_kwargs["args"][0]["resume"] for args_kwargs in waiting.values_list("args_kwargs", flat=True)}


def submissions_after(trashed: dict[str, datetime], rows: QuerySet[DBTaskResult] | None = None) -> dict:
    """The waiting submissions (among `rows`, else all) made to one of these address keys after
    its moment, {task id: address key}; `trashed` is {email_key: when its lead went to the
    trash}. Such a submission starts afresh (fanout.process_application): it is not the
    trashed lead's to erase."""
    if not trashed:
        return {}
    waiting = with_submitted_address(DBTaskResult.objects if rows is None else rows).filter(
        task_path=APPLICATION_TASK, status__in=WAITING, submitted_email__in=sorted(trashed)
    )
    later = {}
    for pk, args_kwargs in waiting.values_list("pk", "args_kwargs"):
        application = args_kwargs["args"][0]
        moment = trashed.get(application["email"])
        if moment is not None and datetime.fromisoformat(application["submitted_at"]) > moment:
            later[pk] = application["email"]
    return later
