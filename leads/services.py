"""The business actions. Every interface (form, admin, API, commands) calls these.

Each action is one transaction; whatever must follow it in the outside world (emails,
webhook calls, text extraction, file removal) is queued as a task inside that transaction,
so it commits or rolls back with the change (the database task backend is the outbox).
"""

import json
import logging
import zipfile
from collections.abc import Iterable
from contextlib import suppress
from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from web.language import default_language, offered

from . import rollup, selectors
from .models import (
    CLOSED_STATUSES,
    NOTE_MAX_CHARS,
    OPEN_STATUSES,
    OUTCOME_REASON_MAX_CHARS,
    REFERRED_TO_MAX_CHARS,
    RESUME_FOLDER,
    Answer,
    AssignmentChange,
    Delivery,
    DeliveryQuerySet,
    Lead,
    LeadEvent,
    LeadQuerySet,
    Note,
    PracticeArea,
    Question,
    Resubmission,
    ResumeDownload,
    StatusChange,
    TrappedSubmission,
    WebhookEndpoint,
)
from .validators import email_key, validate_plain_text, validate_resume
from .worker import erasure, fanout, followups, webhooks
from .worker.deliveries import send_delivery
from .worker.files import remove_files
from .worker.queued import submissions_after, task_rows_mentioning, waiting_application_files

logger = logging.getLogger(__name__)

NOT_AN_ATTORNEY_MESSAGE = "Leads can be assigned only to an active attorney (or to nobody)."
# update_lead's default for `assigned_to`: leave the assignment as it is (None unassigns).
UNCHANGED = object()
# What the admin log keeps of an entry about a lead that was deleted.
DELETED_LEAD_REPR = erasure.DELETED_LEAD_REPR


def submit_lead(
    *,
    first_name: str,
    last_name: str,
    email: str,
    resume: UploadedFile,
    source: str = "",
    referrer: str = "",
    resubmit_duplicates: bool = False,
    language: str = "",
    submitted_by: User | None = None,
    practice_area: PracticeArea | None = None,
    answers: Iterable[tuple[Question, object]] = (),
) -> Lead:
    """Store the resume and save the lead as PENDING (`submitted_by`: the integration that
    sent it through the API, None for the public form), with ONE task queued in the same
    transaction that fans out to its emails and the rest in the worker.

    An email already on file in any spelling that reaches the same mailbox (letter case,
    Unicode forms, IDNA; concurrent submissions included) raises Lead.email_taken() on
    `email` and stores nothing — unless `resubmit_duplicates` (the
    public form): then the submission is recorded on the existing lead as a resubmission
    by the worker, and the caller cannot tell the two cases apart. Both cases run the same
    two statements, so neither the answer nor its timing says whether an address applied.

    `language` (one of INTAKE_LANGUAGES; else the first of them) is the prospect's: every
    email to them speaks it; a resubmission's becomes its lead's.
    `practice_area` and `answers` (the (question, clean value) pairs models.check_answers
    kept) go with the lead; on the form's path the worker writes the answers (on the new
    lead or the resubmission: the request cannot know which), still two statements.
    """
    answers = list(answers)
    kind = validate_resume(resume)
    language = offered(language) or default_language()
    lead = Lead(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        email_key=email_key(email),
        status=Lead.Status.PENDING,
        source=source,
        referrer=referrer,
        language=language,
        submitted_by=submitted_by,
        practice_area=practice_area,
    )
    # Speed to lead: due LEAD_RESPONSE_TARGET_MINUTES business minutes from now; the worker
    # looks at it then (leads.worker.followups).
    lead.response_due_at = lead.next_follow_up_at = followups.response_due(lead.created_at)
    lead.resume.save(f"resume.{kind}", resume, save=False)
    application = {
        "lead_id": str(lead.pk),
        # The normalised address: what the worker finds a resubmission's lead by, and what
        # erasure matches (leads.worker.queued.task_rows_mentioning). Older rows hold the address as typed.
        "email": lead.email_key,
        "resume": lead.resume.name,
        "source": source,
        "referrer": referrer,
        "submitted_at": lead.created_at.isoformat(),
        "resubmit": resubmit_duplicates,
        "language": language,
    }
    if resubmit_duplicates:
        # The form's path: when the address's lead is in the trash, the worker erases it and
        # makes this lead from what the submission sent (the request cannot know which).
        application |= {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "address": lead.email,
            "response_due_at": lead.response_due_at and lead.response_due_at.isoformat(),
            "practice_area": practice_area.pk if practice_area else None,
        }
        if answers:
            application["answers"] = [[question.pk, value] for question, value in answers]
    try:
        try:
            _insert_application(lead, application, answers=answers, resubmit_duplicates=resubmit_duplicates)
        except IntegrityError:
            # The API's insert met the address of a lead in the trash: that lead is erased
            # and the new one starts afresh (nothing deleted comes back).
            if resubmit_duplicates or not erase_trashed_under(lead.email):
                raise
            _insert_application(lead, application, answers=answers, resubmit_duplicates=False)
    except IntegrityError as exc:
        lead.resume.delete(save=False)
        if Lead.objects.by_email(lead.email) is not None:
            raise Lead.email_taken() from exc
        raise
    except BaseException:
        lead.resume.delete(save=False)
        raise
    return lead


def _insert_application(
    lead: Lead, application: dict, *, answers: Iterable[tuple[Question, object]], resubmit_duplicates: bool
) -> None:
    """The lead row (with its answers on the API's path) and its one task, in one transaction
    (submit_lead)."""
    # The form's path cannot meet the unique index (ON CONFLICT DO NOTHING), so it needs
    # no savepoint inside a caller's transaction (the admin's restore); the API's may,
    # and must be able to roll back on its own.
    with transaction.atomic(savepoint=not resubmit_duplicates):
        if resubmit_duplicates:
            # INSERT … ON CONFLICT DO NOTHING: a known address inserts nothing, and the
            # worker finds the lead by its email and records the resubmission — or, when
            # that lead is in the trash, erases it and makes this one (fanout). A known, a
            # trashed and a new address cost the request the same statements.
            Lead.objects.bulk_create([lead], ignore_conflicts=True)
        else:
            built = Answer.build(lead_id=lead.pk, questions=answers) if answers else []
            lead.answers_text = "\n".join(answer.text for answer in built)
            lead.save(force_insert=True)
            if built:
                Answer.objects.bulk_create(built)
            # For the caller's answer (Answer.by_key), read no more.
            lead.answers_by_key = {question.key: value for question, value in answers}
        fanout.process_application.enqueue(application)


def erase_trashed_under(email: str) -> int:
    """Erase the lead in the trash under this address, if any (a new submission for it starts
    afresh); returns how many went."""
    return delete_leads(leads=Lead.trash.with_address(email), announce=False)


def trap_submission(
    *,
    client_address: str,
    first_name: str,
    last_name: str,
    email: str,
    resume: UploadedFile | None,
    source: str = "",
    referrer: str = "",
    language: str = "",
) -> TrappedSubmission:
    """Keep a form submission that filled the honeypot as a TrappedSubmission: no lead, no
    email, kept TRAPPED_KEEP_DAYS for attorneys to review and restore. What was typed is
    kept as typed (cut to the columns' lengths); the file only if it is a resume."""
    trapped = TrappedSubmission(
        client_address=client_address,
        source=source,
        referrer=referrer,
        language=offered(language) or default_language(),
    )
    for field, value in {"first_name": first_name, "last_name": last_name, "email": email}.items():
        setattr(trapped, field, value.strip()[: TrappedSubmission._meta.get_field(field).max_length])
    trapped.email_key = email_key(trapped.email)
    if resume is not None:
        # Not a resume (or too large, or empty): nothing of the file is stored.
        with suppress(ValidationError):
            trapped.resume.save(f"resume.{validate_resume(resume)}", resume, save=False)
    try:
        trapped.save(force_insert=True)
    except BaseException:
        if trapped.resume:
            trapped.resume.delete(save=False)
        raise
    return trapped


def restore_trapped_submission(*, trapped: TrappedSubmission) -> Lead:
    """Submit a trapped submission as the form would have, with its stored resume (a known
    address becomes a resubmission of its lead); the trapped row goes, its file after the
    commit. Raises ValidationError when what was typed breaks the lead's rules."""
    if not trapped.resume:
        raise ValidationError({"resume": ["It came without a resume that could be kept."]})
    typed = {
        name: getattr(trapped, name) for name in ("first_name", "last_name", "email", "source", "referrer")
    }
    typed["language"] = trapped.language
    Lead(**typed).clean_fields(exclude={"resume"})  # the rules the form and the API apply
    with trapped.resume.open("rb") as resume:
        # Checked before the transaction, which then holds no lock while a file is parsed;
        # submit_lead reuses the verdict. Its rules may have grown since it was trapped.
        try:
            validate_resume(resume)
        except ValidationError as exc:
            raise ValidationError({"resume": exc.messages}, code=exc.code) from exc
        with transaction.atomic():
            lead = submit_lead(**typed, resume=resume, resubmit_duplicates=True)
            TrappedSubmission.objects.filter(pk=trapped.pk).delete()
            _queue_file_removal([trapped.resume.name])
    return lead


def change_status(*, leads: LeadQuerySet, status: str, by) -> int:
    """Move `leads` to `status` through the recorded transitions (the first reach-out's time
    and attorney are kept); returns how many changed.

    The one path for every status change: admin action, API PATCH, and `reach_out` (the
    admin page's button and the API's reach-out).
    Leads that moved to REACHED_OUT get one lead.reached_out event (one task) in the same
    transaction.
    """
    if status not in OPEN_STATUSES:
        raise ValidationError({"status": [f"Unknown status {status!r}; outcomes go through close_leads."]})
    with transaction.atomic():
        changed = leads.move_to(status, by=by)
        rollup.mark_changed(changed)
        if changed and status == Lead.Status.REACHED_OUT:
            fanout.emit(WebhookEndpoint.Event.LEAD_REACHED_OUT, changed)
    return len(changed)


def close_leads(
    *,
    leads: LeadQuerySet,
    outcome: str,
    by,
    reason: str = "",
    referred_to: str = "",
    send_letter: bool = False,
) -> list:
    """Close the open leads among `leads` with `outcome` (RETAINED, DECLINED with a reason,
    REFERRED with a reason and `referred_to`, NO_RESPONSE); returns the ids that closed.

    The one closing path: the lead page's buttons, the bulk "Close as no response", the API's
    close and a PATCH of `status`. In one transaction: the leads, a StatusChange each with the
    reason, ONE lead.closed event, and with `send_letter` (DECLINED or REFERRED only) one
    non-engagement letter per lead that closed, queued for the worker. Leads already closed
    are left as they are. Raises ValidationError on `outcome`, `reason`, `referred_to`.
    """
    reason, referred_to = reason.strip(), referred_to.strip()
    check_outcome(outcome=outcome, reason=reason, referred_to=referred_to, send_letter=send_letter)
    with transaction.atomic():
        closed = leads.close_all(outcome, by=by, reason=reason, referred_to=referred_to)
        rollup.mark_changed(closed)
        if closed:
            fanout.emit(WebhookEndpoint.Event.LEAD_CLOSED, closed, {"send_letter": send_letter})
    return closed


def check_outcome(*, outcome: str, reason: str, referred_to: str, send_letter: bool = False) -> None:
    """Raise ValidationError naming the field when a closing lacks what its outcome needs."""
    errors = {}
    if outcome not in CLOSED_STATUSES:
        choices = ", ".join(CLOSED_STATUSES)
        errors["outcome"] = [f"Choose one of {choices}; {outcome!r} is not an outcome."]
    if outcome in (Lead.Status.DECLINED, Lead.Status.REFERRED) and not reason:
        errors["reason"] = ["Say why: a lead closed as declined or referred needs a reason."]
    if len(reason) > OUTCOME_REASON_MAX_CHARS:
        errors["reason"] = [f"A reason has at most {OUTCOME_REASON_MAX_CHARS} characters."]
    if outcome == Lead.Status.REFERRED and not referred_to:
        errors["referred_to"] = ["Say to whom the lead was referred."]
    if len(referred_to) > REFERRED_TO_MAX_CHARS:
        errors["referred_to"] = [f"At most {REFERRED_TO_MAX_CHARS} characters."]
    if send_letter and outcome not in (Lead.Status.DECLINED, Lead.Status.REFERRED):
        errors["send_letter"] = ["A non-engagement letter goes only with DECLINED or REFERRED."]
    for field, value in {"reason": reason, "referred_to": referred_to}.items():
        if field not in errors:
            try:
                validate_plain_text(value)
            except ValidationError as exc:
                errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)


def close_lead(
    *, lead: Lead, outcome: str, by, reason: str = "", referred_to: str = "", send_letter: bool = False
) -> Lead:
    """Close one lead (close_leads); returns it refreshed. Raises ValidationError on `status`
    when it is already closed (of two attorneys closing at once, the second gets this)."""
    with transaction.atomic():
        closed = close_leads(
            leads=Lead.objects.filter(pk=lead.pk),
            outcome=outcome,
            by=by,
            reason=reason,
            referred_to=referred_to,
            send_letter=send_letter,
        )
        lead.refresh_from_db()
        if not closed:
            message = f"The lead is already closed ({lead.get_status_display()}); reopen it first."
            raise ValidationError({"status": [message]}, code="closed")
    return lead


def reopen_lead(*, lead: Lead, by) -> Lead:
    """Reopen a closed lead: back to the open status it had before closing, with a
    StatusChange and ONE lead.reopened event; returns it refreshed. Raises ValidationError on
    `status` when the lead is open."""
    with transaction.atomic():
        reopened = Lead.objects.filter(pk=lead.pk).reopen_all(by=by)
        rollup.mark_changed(reopened)
        lead.refresh_from_db()
        if not reopened:
            raise ValidationError({"status": ["The lead is open: there is nothing to reopen."]}, code="open")
        fanout.emit(WebhookEndpoint.Event.LEAD_REOPENED, reopened)
    return lead


def reach_out(*, lead: Lead, by) -> Lead:
    """Reach out to `lead` via change_status (idempotent: the first one is kept); returns it refreshed."""
    change_status(leads=Lead.objects.filter(pk=lead.pk), status=Lead.Status.REACHED_OUT, by=by)
    lead.refresh_from_db(fields=["status", "reached_out_at", "reached_out_by", "updated_at"])
    return lead


def update_lead(
    *,
    lead: Lead,
    by,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    status: str | None = None,
    assigned_to: User | object | None = UNCHANGED,
    reason: str = "",
    referred_to: str = "",
) -> Lead:
    """Change a lead's names or email, move its status through `change_status` and its
    assignee through `assign_leads`, all in one transaction. An email replaced is kept in
    `former_emails`, so erasure still finds the work queued under it.

    Raises Lead.email_taken() when another lead has the email in any spelling.
    """
    contact = {"first_name": first_name, "last_name": last_name, "email": email}
    contact = {field: value.strip() for field, value in contact.items() if value is not None}
    with transaction.atomic():
        if "email" in contact:
            contact |= _address_change(lead, contact["email"])
        if contact:
            for field, value in contact.items():
                setattr(lead, field, value)
            try:
                with transaction.atomic():
                    lead.save(update_fields=[*contact, "updated_at"])
            except IntegrityError as exc:
                raise Lead.email_taken() from exc
        if status is not None:
            _move_to_status(lead, status, by=by, reason=reason, referred_to=referred_to)
        if assigned_to is not UNCHANGED:
            assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=assigned_to, by=by)
            lead.refresh_from_db(fields=["assigned_to", "updated_at"])
    return lead


def _move_to_status(lead: Lead, status: str, *, by, reason: str, referred_to: str) -> None:
    """A PATCH of `status`: an outcome closes the lead (close_lead), an open status on a closed
    lead reopens it first, and between open statuses change_status moves it. The outcome it
    has already is a no-op."""
    current = Lead.objects.filter(pk=lead.pk).values_list("status", flat=True).first()
    if status == current and status in CLOSED_STATUSES:
        return
    if status in CLOSED_STATUSES:
        close_lead(lead=lead, outcome=status, by=by, reason=reason, referred_to=referred_to)
        return
    if current in CLOSED_STATUSES:
        reopen_lead(lead=lead, by=by)
    change_status(leads=Lead.objects.filter(pk=lead.pk), status=status, by=by)
    lead.refresh_from_db()


def _address_change(lead: Lead, email: str) -> dict:
    """The columns that follow a lead's new `email`: its key, and the address it had until now
    joining former_emails. Read under the row's lock from the row itself: the admin's form has
    already put the new address on `lead`, and of two concurrent changes neither is lost."""
    had, former = (
        Lead.objects.select_for_update().filter(pk=lead.pk).values_list("email", "former_emails").get()
    )
    if email != had:
        former = [*(address for address in former if address not in (had, email)), had]
    return {"email_key": email_key(email), "former_emails": former}


def assign_leads(*, leads: LeadQuerySet, to: User | None, by: User | None) -> int:
    """Assign `leads` to `to` (an active attorney) or to nobody (None); returns how many changed.

    Each change is an AssignmentChange; ONE `lead.assigned` event is queued in the same
    transaction for the worker to fan out (the assignee's emails, webhook calls). `by` is
    who did it, None for the system (LEAD_AUTO_ASSIGN). The one path for every assignment:
    admin field and bulk actions, API PATCH, auto-assignment on intake.
    """
    if to is not None and not User.objects.attorneys().filter(pk=to.pk).exists():
        raise ValidationError({"assigned_to": [NOT_AN_ATTORNEY_MESSAGE]}, code="not_an_attorney")
    return len(fanout.assign_and_announce(leads, to=to, by=by))


def add_note(*, lead: Lead, author: User, body: str) -> Note:
    """Add an attorney's plain-text note (line breaks kept, at most NOTE_MAX_CHARS) to `lead`.

    Raises ValidationError({"body": [...]}) for an empty or too long note, or one with
    control characters other than line breaks.
    """
    body = "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    body = body.strip("\n")
    if not body.strip():
        raise ValidationError({"body": ["Write something first: the note is empty."]}, code="required")
    if len(body) > NOTE_MAX_CHARS:
        message = f"A note has at most {NOTE_MAX_CHARS:,} characters; this one has {len(body):,}."
        raise ValidationError({"body": [message]}, code="max_length")
    try:
        validate_plain_text(body.replace("\n", " "))
    except ValidationError as exc:
        message = "A note is plain text: letters, digits, punctuation, spaces and line breaks only."
        raise ValidationError({"body": [message]}, code=exc.code) from exc
    with transaction.atomic():
        note = Note.objects.create(lead=lead, author=author, body=body)
        # A note ends a reached-out lead's quiet spell: its reminder is due again from now.
        Lead.objects.filter(pk=lead.pk).schedule_stale_reminder()
    return note


def delete_leads(*, leads: LeadQuerySet, announce: bool = True) -> int:
    """Erase leads (in the trash or not) with everything recorded about them, and queue one
    lead.deleted event for them when a subscription wants it (unless `announce` is False: the
    trash already told); returns how many went. Through leads.worker.erasure.

    In the one transaction: their rows (history, notes, resubmissions, deliveries and
    downloads go with them), the queued work that mentions them or any address they have
    had (Lead.former_emails included), the name and id in the
    admin log's entries about them, and ONE task that removes every file of theirs (the
    resubmissions' included) once the delete has committed, retried until it succeeds.
    """
    with transaction.atomic():
        if announce:  # (leads erased unannounced were in the trash, which no report counts)
            rollup.mark_changed(Lead.objects.filter(pk__in=leads.values("pk")))
        ids = erasure.erase_leads(leads)
        # Only for someone listening: the event's task carries the ids, and without a
        # subscriber nothing of the deleted leads should stay behind, not even their ids.
        if ids and announce and WebhookEndpoint.objects.subscribed_to(WebhookEndpoint.Event.LEAD_DELETED):
            fanout.emit(WebhookEndpoint.Event.LEAD_DELETED, ids)
    return len(ids)


def trash_leads(*, leads: LeadQuerySet, by) -> int:
    """Move `leads` to the trash (the admin's delete, its bulk delete, the API's DELETE);
    returns how many went. From then on no list, search, count or API answer shows them.

    In one transaction: deleted_at/by and a "deleted" event each, their queued emails cancelled
    (removed before the worker sends them), and ONE
    lead.deleted event. With LEAD_TRASH_DAYS=0 they are erased at once (delete_leads).
    """
    if settings.LEAD_TRASH_DAYS == 0:
        return delete_leads(leads=leads)
    with transaction.atomic():
        ids = list(
            Lead.objects.filter(pk__in=leads.values("pk")).select_for_update().values_list("pk", flat=True)
        )
        if not ids:
            return 0
        now = timezone.now()
        rollup.mark_changed(ids)
        Lead.objects.filter(pk__in=ids).update(deleted_at=now, deleted_by=by, updated_at=now)
        LeadEvent.objects.bulk_create(
            LeadEvent(lead_id=pk, type=LeadEvent.Type.DELETED, by=by, at=now) for pk in ids
        )
        # Cancelled, not failed: nothing went wrong that monitoring should report, and the
        # worker's attempt finds no delivery to send.
        Delivery.objects.filter(
            lead_id__in=ids, status=Delivery.Status.QUEUED, channel=Delivery.Channel.EMAIL
        ).delete()
        if WebhookEndpoint.objects.subscribed_to(WebhookEndpoint.Event.LEAD_DELETED):
            fanout.emit(WebhookEndpoint.Event.LEAD_DELETED, ids)
    return len(ids)


def restore_leads(*, leads: LeadQuerySet, by) -> int:
    """Bring leads back from the trash exactly as they were, with a "restored" event each and
    ONE lead.restored event; returns how many. A lead already erased (its address submitted
    again, its time over) is not there to restore."""
    with transaction.atomic():
        rows = Lead.trash.filter(pk__in=leads.values("pk")).select_for_update()
        found = rows.values_list("pk", "email_key", "deleted_at")
        trashed = {key: (pk, deleted_at) for pk, key, deleted_at in found}
        # An address submitted again since its lead went to the trash starts afresh: the worker
        # erases that lead when it comes to the submission; a restore in between erases it now.
        later = submissions_after({key: deleted_at for key, (_, deleted_at) in trashed.items()})
        superseded = {trashed[key][0] for key in later.values()}
        if superseded:
            delete_leads(leads=Lead.all_objects.filter(pk__in=superseded), announce=False)
        ids = [pk for pk, _ in trashed.values() if pk not in superseded]
        if not ids:
            return 0
        now = timezone.now()
        Lead.trash.filter(pk__in=ids).update(deleted_at=None, deleted_by=None, updated_at=now)
        rollup.mark_changed(ids)
        LeadEvent.objects.bulk_create(
            LeadEvent(lead_id=pk, type=LeadEvent.Type.RESTORED, by=by, at=now) for pk in ids
        )
        fanout.emit(WebhookEndpoint.Event.LEAD_RESTORED, ids)
    return len(ids)


def purge_trash() -> int:
    """Erase the leads in the trash for LEAD_TRASH_DAYS or longer; returns how many."""
    return erasure.purge_trash()


def erase_prospect(*, email: str, dry_run: bool = False) -> dict[str, int]:
    """Erase every trace of the prospect at `email` (in any spelling that reaches the same
    mailbox), for a data-subject request; returns how many of each kind went (with `dry_run`:
    would go, nothing does).

    The lead (and any set aside under the address by migration 0022) with its history, notes,
    assignment changes, deliveries, resume downloads and resubmissions; trapped submissions
    typed with the address or one the lead had before; admin log entries and task rows (queued
    or finished) that mention any of those addresses or the lead; and every file of theirs,
    removed by the worker after the commit. Run again, it finds nothing.
    """
    email = email.strip()
    with transaction.atomic():
        # Trashed leads included: an erasure never waits for the trash.
        leads = [lead] if (lead := Lead.all_objects.select_for_update().by_email(email)) else []
        leads += Lead.all_objects.select_for_update().set_aside_under(email)
        ids = [lead.pk for lead in leads]
        addresses = [email, *(address for lead in leads for address in (lead.email, *lead.former_emails))]
        needles = [*addresses, *map(str, ids)]
        trapped = TrappedSubmission.objects.with_address(*addresses)
        queued = task_rows_mentioning(lead_ids=ids, emails=addresses)
        deliveries = Delivery.objects.about_prospect(emails=addresses, lead_ids=ids)
        log = _admin_log_about(ids, needles)
        files = {lead.resume.name for lead in leads}
        files |= set(Resubmission.objects.filter(lead__in=ids).values_list("resume", flat=True))
        files |= set(trapped.values_list("resume", flat=True)) | waiting_application_files(queued)
        counts = {
            "leads": len(ids),
            "resume files": len(files - {""}),
            "resubmissions": Resubmission.objects.filter(lead__in=ids).count(),
            "status changes": StatusChange.objects.filter(lead__in=ids).count(),
            "assignment changes": AssignmentChange.objects.filter(lead__in=ids).count(),
            "notes": Note.objects.filter(lead__in=ids).count(),
            "deliveries": deliveries.count(),
            "resume downloads": ResumeDownload.objects.filter(lead__in=ids).count(),
            "trapped submissions": trapped.count(),
            "admin log entries": log.count(),
            "task rows": queued.count(),
        }
        if dry_run or not any(counts.values()):
            return counts
        _queue_file_removal(waiting_application_files(queued))
        queued.delete()
        log.delete()
        deliveries.delete()
        delete_trapped_submissions(trapped=trapped)
        delete_leads(leads=Lead.all_objects.filter(pk__in=ids))
    return counts


def export_prospect(*, email: str, output: BinaryIO | None, by=None, dry_run: bool = False) -> dict:
    """Write the prospect's copy for `email` (any spelling of the mailbox; a lead in the trash
    too) to `output` as a zip: lead.json (selectors.prospect_copy) and every resume file; the
    export is recorded on the lead's timeline. Returns what it holds ({} when nothing is on
    file); with `dry_run` writes and records nothing."""
    lead = Lead.all_objects.select_related("assigned_to").by_email(email.strip())
    if lead is None:
        return {}
    copy = selectors.prospect_copy(lead)
    files = [(copy["lead"]["resume_file"], lead.resume)]
    resubmissions = lead.resubmissions.order_by("created_at", "id")
    files += [
        (row["resume_file"], r.resume) for row, r in zip(copy["resubmissions"], resubmissions, strict=True)
    ]
    summary = {
        "lead.json": 1,
        "resume files": sum(1 for name, _ in files if name),
        **{what: len(copy[what]) for what in ("resubmissions", "status_changes", "notes", "deliveries")},
    }
    if dry_run:
        return summary
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lead.json", json.dumps(copy, indent=2, ensure_ascii=False))
        for name, stored in files:
            if name:
                with stored.open("rb") as source:
                    archive.writestr(name, source.read())
    LeadEvent.objects.create(lead=lead, type=LeadEvent.Type.EXPORTED, by=by)
    return summary


def delete_trapped_submissions(*, trapped: QuerySet[TrappedSubmission]) -> int:
    """Delete trapped submissions; their files go after the commit (one task, retried)."""
    with transaction.atomic():
        names = set(trapped.values_list("resume", flat=True))
        deleted, _ = TrappedSubmission.objects.filter(pk__in=trapped.values("pk")).delete()
        _queue_file_removal(names)
    return deleted


def sweep_orphan_files(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Remove the files in RESUME_FOLDER that no lead, resubmission, trapped submission or
    waiting submission refers to and that are older than `older_than` (a younger one may
    belong to a submission not yet committed); returns how many there were.

    Such files are left by a process that died between storing an upload and committing
    its row, or by a removal that failed at every attempt.
    """
    try:
        _, files = default_storage.listdir(RESUME_FOLDER)
    except FileNotFoundError:  # nothing was ever uploaded
        return 0
    unreferenced = {f"{RESUME_FOLDER}/{name}" for name in files} - _referenced_files()
    cutoff = timezone.now() - older_than
    orphans = sorted(name for name in unreferenced if default_storage.get_modified_time(name) < cutoff)
    if orphans and not dry_run:
        remove_files.call(orphans)
    return len(orphans)


def _referenced_files() -> set[str]:
    """Every stored file some row or waiting submission points at, under RESUME_FOLDER."""
    prefix = f"{RESUME_FOLDER}/"
    referenced = set()
    for model in (Lead, Resubmission, TrappedSubmission):
        manager = Lead.all_objects if model is Lead else model.objects  # the trash's files too
        names = manager.filter(resume__startswith=prefix).values_list("resume", flat=True)
        referenced.update(names.iterator(chunk_size=10_000))
    referenced |= waiting_application_files(DBTaskResult.objects.all())
    return referenced


def record_resume_download(
    *, lead: Lead, resubmission: Resubmission | None, by, via: str
) -> ResumeDownload | None:
    """Record that `by` downloaded one of the lead's resumes (the first, or `resubmission`'s)
    through `via`, committed before the file is served; returns the row.

    Recording never blocks a download: once the lead was read, only a database fault can
    stop this insert (a read-only failover, a lock or statement timeout). Then the file is
    still served and the fault is logged at ERROR with every id needed to enter the row by
    hand (no prospect data), and None is returned: the database that refuses the row would
    refuse any other record of the failure too.
    """
    try:
        with transaction.atomic():
            return ResumeDownload.objects.create(
                lead=lead, resubmission=resubmission, downloaded_by=by, via=via
            )
    except DatabaseError as exc:
        logger.error(
            "Resume download NOT RECORDED (%s): lead=%s resubmission=%s user=%s via=%s at=%s",
            type(exc).__name__,
            lead.pk,
            resubmission.pk if resubmission else "-",
            getattr(by, "pk", None),
            via,
            timezone.now().isoformat(),
        )
        return None


def retry_deliveries(*, deliveries: DeliveryQuerySet) -> int:
    """Queue failed deliveries for a fresh round of attempts; returns how many."""
    with transaction.atomic():
        # Only the deliveries' rows: a list's queryset may join their leads (outside_trash).
        failed = deliveries.with_status(Delivery.Status.FAILED)
        ids = list(failed.select_for_update(of=("self",)).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=None, claimed_at=None
        )
        for pk in ids:
            send_delivery.enqueue(str(pk))
    return len(ids)


def _queue_file_removal(names: Iterable[str]) -> None:
    """Queue the removal of these stored files, in the caller's transaction."""
    erasure.queue_file_removal(names)


def _admin_log_about(lead_ids: list, needles: list[str]) -> QuerySet[LogEntry]:
    """Admin log entries about these leads, or whose label or message mentions a needle."""
    about = Q(
        content_type=ContentType.objects.get_for_model(Lead), object_id__in=[str(pk) for pk in lead_ids]
    )
    for needle in needles:
        about |= Q(object_repr__icontains=needle) | Q(change_message__icontains=needle)
    return LogEntry.objects.filter(about)


def create_webhook_endpoint(*, url: str, events: list[str], by) -> WebhookEndpoint:
    """Subscribe `url` to `events` with a new signing secret (whsec_…), which the caller
    shows once. Raises ValidationError on `url` (not https, not public) or `events`."""
    errors = {}
    try:
        webhooks.validate_url(url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    try:
        events = webhooks.clean_events(events)
    except ValidationError as exc:
        errors["events"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return WebhookEndpoint.objects.create(
        url=url, events=events, secret=webhooks.generate_secret(), created_by=by
    )


def update_webhook_endpoint(
    *, endpoint: WebhookEndpoint, events: list[str] | None = None, is_active: bool | None = None
) -> WebhookEndpoint:
    """Change what a subscription receives, or pause it (its URL and secret stay)."""
    changes = {}
    if events is not None:
        try:
            changes["events"] = webhooks.clean_events(events)
        except ValidationError as exc:
            raise ValidationError({"events": exc.messages}) from exc
    if is_active is not None:
        changes["is_active"] = is_active
    for field, value in changes.items():
        setattr(endpoint, field, value)
    if changes:
        endpoint.save(update_fields=list(changes))
    return endpoint


def delete_webhook_endpoints(*, endpoints) -> int:
    """Delete subscriptions; their deliveries stay (their queued attempts then fail)."""
    _, per_model = WebhookEndpoint.objects.filter(pk__in=endpoints.values("pk")).delete()
    return per_model.get(WebhookEndpoint._meta.label, 0)


def set_up_intake_form(*, areas: list[dict], general_questions: list[dict]) -> dict[str, int]:
    """Create the practice areas (by slug) and questions (by area and key) described, each
    question's `show_if` a (key, [answers]) of its form; what exists already is left as it is.
    Returns how many areas and questions there are of those described."""

    def put(definitions: list[dict], area: PracticeArea | None) -> int:
        for position, definition in enumerate(definitions):
            definition = dict(definition)
            show_if = definition.pop("show_if", None)
            question, created = Question.objects.get_or_create(
                practice_area=area, key=definition.pop("key"), defaults={**definition, "position": position}
            )
            if created and show_if:
                key, values = show_if
                other = Question.objects.filter(practice_area=area, key=key).first()
                other = other or Question.objects.get(practice_area=None, key=key)
                question.show_if_question, question.show_if_values = other, values
                question.save(update_fields=["show_if_question", "show_if_values"])
        return len(definitions)

    with transaction.atomic():
        count = put(general_questions, None)
        for position, definition in enumerate(areas):
            definition = dict(definition)
            questions = definition.pop("questions", [])
            area, _ = PracticeArea.objects.get_or_create(
                slug=definition.pop("slug"), defaults={**definition, "position": position}
            )
            count += put(questions, area)
    return {"areas": len(areas), "questions": count}
