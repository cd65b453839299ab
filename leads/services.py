"""The business actions. Every interface (form, admin, API, commands) calls these.

Each action is one transaction; whatever must follow it in the outside world (emails,
webhook calls, text extraction, file removal) is queued as a task inside that transaction,
so it commits or rolls back with the change (the database task backend is the outbox).
"""

import logging
from collections.abc import Iterable
from contextlib import suppress
from datetime import timedelta

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

from .models import (
    NOTE_MAX_CHARS,
    RESUME_FOLDER,
    Answer,
    AssignmentChange,
    Delivery,
    DeliveryQuerySet,
    Lead,
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
from .worker import fanout, webhooks
from .worker.deliveries import send_delivery
from .worker.files import remove_files
from .worker.queued import task_rows_mentioning, waiting_application_files

logger = logging.getLogger(__name__)

NOT_AN_ATTORNEY_MESSAGE = "Leads can be assigned only to an active attorney (or to nobody)."
# update_lead's default for `assigned_to`: leave the assignment as it is (None unassigns).
UNCHANGED = object()
# What the admin log keeps of an entry about a lead that was deleted.
DELETED_LEAD_REPR = "deleted lead"


def submit_lead(
    *,
    first_name: str,
    last_name: str,
    email: str,
    resume: UploadedFile,
    source: str = "",
    referrer: str = "",
    resubmit_duplicates: bool = False,
    practice_area: PracticeArea | None = None,
    answers: Iterable[tuple[Question, object]] = (),
) -> Lead:
    """Store the resume and save the lead as PENDING, with ONE task queued in the same
    transaction that fans out to its emails and the rest in the worker.

    An email already on file in any spelling that reaches the same mailbox (letter case,
    Unicode forms, IDNA; concurrent submissions included) raises Lead.email_taken() on
    `email` and stores nothing — unless `resubmit_duplicates` (the
    public form): then the submission is recorded on the existing lead as a resubmission
    by the worker, and the caller cannot tell the two cases apart. Both cases run the same
    two statements, so neither the answer nor its timing says whether an address applied.

    `practice_area` and `answers` (the (question, clean value) pairs models.check_answers
    kept) go with the lead; on the form's path the worker writes the answers (on the new
    lead or the resubmission: the request cannot know which), still two statements.
    """
    answers = list(answers)
    kind = validate_resume(resume)
    lead = Lead(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        email_key=email_key(email),
        status=Lead.Status.PENDING,
        source=source,
        referrer=referrer,
        practice_area=practice_area,
    )
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
    }
    if resubmit_duplicates and (practice_area or answers):
        application["practice_area"] = practice_area.pk if practice_area else None
        application["answers"] = [[question.pk, value] for question, value in answers]
    try:
        # The form's path cannot meet the unique index (ON CONFLICT DO NOTHING), so it needs
        # no savepoint inside a caller's transaction (the admin's restore); the API's may,
        # and must be able to roll back on its own.
        with transaction.atomic(savepoint=not resubmit_duplicates):
            if resubmit_duplicates:
                # INSERT … ON CONFLICT DO NOTHING: a known address inserts nothing, and the
                # worker finds the lead by its email and records the resubmission.
                Lead.objects.bulk_create([lead], ignore_conflicts=True)
            else:
                lead.save(force_insert=True)
                if answers:
                    Answer.objects.bulk_create(Answer.build(lead_id=lead.pk, questions=answers))
                # For the caller's answer (Answer.by_key), read no more.
                lead.answers_by_key = {question.key: value for question, value in answers}
            fanout.process_application.enqueue(application)
    except IntegrityError as exc:
        lead.resume.delete(save=False)
        if Lead.objects.by_email(lead.email) is not None:
            raise Lead.email_taken() from exc
        raise
    except BaseException:
        lead.resume.delete(save=False)
        raise
    return lead


def trap_submission(
    *,
    client_address: str,
    first_name: str,
    last_name: str,
    email: str,
    resume: UploadedFile | None,
    source: str = "",
    referrer: str = "",
) -> TrappedSubmission:
    """Keep a form submission that filled the honeypot as a TrappedSubmission: no lead, no
    email, kept TRAPPED_KEEP_DAYS for attorneys to review and restore. What was typed is
    kept as typed (cut to the columns' lengths); the file only if it is a resume."""
    trapped = TrappedSubmission(client_address=client_address, source=source, referrer=referrer)
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
    if status not in Lead.Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    with transaction.atomic():
        changed = leads.move_to(status, by=by)
        if changed and status == Lead.Status.REACHED_OUT:
            fanout.emit(WebhookEndpoint.Event.LEAD_REACHED_OUT, changed)
    return len(changed)


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
            change_status(leads=Lead.objects.filter(pk=lead.pk), status=status, by=by)
            lead.refresh_from_db(fields=["status", "reached_out_at", "reached_out_by", "updated_at"])
        if assigned_to is not UNCHANGED:
            assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=assigned_to, by=by)
            lead.refresh_from_db(fields=["assigned_to", "updated_at"])
    return lead


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
    return Note.objects.create(lead=lead, author=author, body=body)


def delete_leads(*, leads: LeadQuerySet) -> int:
    """Delete leads with everything recorded about them, and queue one lead.deleted event for
    them when a subscription wants it; returns how many went.

    In the one transaction: their rows (history, notes, resubmissions, deliveries and
    downloads go with them), the queued work that mentions them or any address they have
    had (Lead.former_emails included), the name and id in the
    admin log's entries about them, and ONE task that removes every file of theirs (the
    resubmissions' included) once the delete has committed, retried until it succeeds.
    """
    with transaction.atomic():
        # Locked first: a worker recording a resubmission holds the same row lock, so no
        # resubmission (and no file) can appear between reading the names and the delete.
        locked = Lead.objects.filter(pk__in=leads.values("pk")).select_for_update()
        rows = list(locked.values_list("pk", "email", "former_emails"))
        if not rows:
            return 0
        ids = [pk for pk, _, _ in rows]
        names = set(Lead.objects.filter(pk__in=ids).values_list("resume", flat=True))
        names |= set(Resubmission.objects.filter(lead_id__in=ids).values_list("resume", flat=True))
        addresses = [address for _, email, former in rows for address in (email, *former)]
        queued = task_rows_mentioning(lead_ids=ids, emails=addresses)
        names |= waiting_application_files(queued)
        queued.delete()
        _scrub_admin_log(ids)
        _, per_model = Lead.objects.filter(pk__in=ids).delete()
        _queue_file_removal(names)
        # Only for someone listening: the event's task carries the ids, and without a
        # subscriber nothing of the deleted leads should stay behind, not even their ids.
        if WebhookEndpoint.objects.subscribed_to(WebhookEndpoint.Event.LEAD_DELETED):
            fanout.emit(WebhookEndpoint.Event.LEAD_DELETED, ids)
    return per_model.get(Lead._meta.label, 0)


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
        leads = [lead] if (lead := Lead.objects.select_for_update().by_email(email)) else []
        leads += Lead.objects.select_for_update().set_aside_under(email)
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
        delete_leads(leads=Lead.objects.filter(pk__in=ids))
    return counts


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
        names = model.objects.filter(resume__startswith=prefix).values_list("resume", flat=True)
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
        ids = list(
            deliveries.with_status(Delivery.Status.FAILED).select_for_update().values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=None, claimed_at=None
        )
        for pk in ids:
            send_delivery.enqueue(str(pk))
    return len(ids)


def _queue_file_removal(names: Iterable[str]) -> None:
    """Queue the removal of these stored files, in the caller's transaction."""
    if names := sorted(name for name in names if name):
        remove_files.enqueue(names)


def _admin_log_about(lead_ids: list, needles: list[str]) -> QuerySet[LogEntry]:
    """Admin log entries about these leads, or whose label or message mentions a needle."""
    about = Q(
        content_type=ContentType.objects.get_for_model(Lead), object_id__in=[str(pk) for pk in lead_ids]
    )
    for needle in needles:
        about |= Q(object_repr__icontains=needle) | Q(change_message__icontains=needle)
    return LogEntry.objects.filter(about)


def _scrub_admin_log(lead_ids: list) -> int:
    """Keep who did what when in the admin log's entries about these leads, not which lead:
    their id, their label and the changed fields' description go."""
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), object_id__in=[str(pk) for pk in lead_ids]
    ).update(object_id=None, object_repr=DELETED_LEAD_REPR, change_message="")


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
