"""What the queue holds about a prospect: the task rows, queued or finished, that name a lead
or an address (erasure and deletion remove them), and the resume files of submissions the
worker has not processed yet."""

import json
import re
from collections.abc import Collection

from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Lower
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leads.validators import email_key

from .deliveries import send_delivery
from .fanout import process_application
from .files import remove_files

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
    submissions = Q(task_path=process_application.module_path) & (
        Q(submitted_lead__in=ids) | Q(submitted_email__in=[*sorted(keys), *typed])
    )
    anonymous = [process_application, send_delivery, remove_files]
    others = DBTaskResult.objects.filter(
        ~Q(task_path__in=[task.module_path for task in anonymous]) | Q(status=TaskResultStatus.FAILED)
    )
    needles = {needle.lower() for needle in [*ids, *emails, *keys]}
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


def waiting_application_files(rows: QuerySet[DBTaskResult]) -> set[str]:
    """The resume files of the submissions among `rows` that the worker has not processed."""
    waiting = rows.filter(
        task_path=process_application.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    )
    return {args_kwargs["args"][0]["resume"] for args_kwargs in waiting.values_list("args_kwargs", flat=True)}
