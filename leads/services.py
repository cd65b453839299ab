"""The business actions. Every interface (form, admin, API, commands) calls these.

Each action is one transaction; whatever must follow it in the outside world (emails,
webhook calls, text extraction, file removal) is queued as a task inside that transaction,
so it commits or rolls back with the change (the database task backend is the outbox).
"""

from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from accounts.models import User

from . import outbox, tasks, webhooks
from .models import NOTE_MAX_CHARS, Delivery, DeliveryQuerySet, Lead, LeadQuerySet, Note, WebhookEndpoint
from .validators import validate_plain_text, validate_resume

DUPLICATE_EMAIL_MESSAGE = "A lead with this email address already exists."
EMAIL_TAKEN_MESSAGE = "Another lead already has this email address."
NOT_AN_ATTORNEY_MESSAGE = "Leads can be assigned only to an active attorney (or to nobody)."
# update_lead's default for `assigned_to`: leave the assignment as it is (None unassigns).
UNCHANGED = object()
# Files under this prefix are shared by several leads (seed_leads' sample resume);
# uploads are stored under resumes/ with a name of their own.
SHARED_RESUME_PREFIX = "seed/"


def submit_lead(
    *,
    first_name: str,
    last_name: str,
    email: str,
    resume: UploadedFile,
    source: str = "",
    referrer: str = "",
    resubmit_duplicates: bool = False,
) -> Lead:
    """Store the resume and save the lead as PENDING, with ONE task queued in the same
    transaction that fans out to its emails and the rest in the worker.

    An email already on file (any letter case, concurrent submissions included) raises
    ValidationError on `email` and stores nothing — unless `resubmit_duplicates` (the
    public form): then the submission is recorded on the existing lead as a resubmission
    by the worker, and the caller cannot tell the two cases apart. Both cases run the same
    two statements, so neither the answer nor its timing says whether an address applied.
    """
    kind = validate_resume(resume)
    lead = Lead(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        status=Lead.Status.PENDING,
        source=source,
        referrer=referrer,
    )
    lead.resume.save(f"resume.{kind}", resume, save=False)
    application = {
        "lead_id": str(lead.pk),
        "email": lead.email,
        "resume": lead.resume.name,
        "source": source,
        "referrer": referrer,
        "submitted_at": lead.created_at.isoformat(),
        "resubmit": resubmit_duplicates,
    }
    try:
        # The form's path runs inside the view's transaction (with its rate-limit hit) and
        # cannot meet the unique index (ON CONFLICT DO NOTHING), so it needs no savepoint; the
        # API's may, and must be able to roll back on its own.
        with transaction.atomic(savepoint=not resubmit_duplicates):
            if resubmit_duplicates:
                # INSERT … ON CONFLICT DO NOTHING: a known address inserts nothing, and the
                # worker finds the lead by its email and records the resubmission.
                Lead.objects.bulk_create([lead], ignore_conflicts=True)
            else:
                lead.save(force_insert=True)
            tasks.process_application.enqueue(application)
    except IntegrityError as exc:
        lead.resume.delete(save=False)
        if Lead.objects.by_email(lead.email) is not None:
            raise ValidationError({"email": [DUPLICATE_EMAIL_MESSAGE]}, code="duplicate") from exc
        raise
    except BaseException:
        lead.resume.delete(save=False)
        raise
    return lead


def change_status(*, leads: LeadQuerySet, status: str, by) -> int:
    """Move `leads` to `status` through the recorded transitions (the first reach-out's time
    and attorney are kept); returns how many changed.

    The one path for every status change: admin action and page, API PATCH and reach-out.
    Leads that moved to REACHED_OUT get one lead.reached_out event (one task) in the same
    transaction.
    """
    if status not in Lead.Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    with transaction.atomic():
        changed = leads.move_to(status, by=by)
        if changed and status == Lead.Status.REACHED_OUT:
            outbox.emit(WebhookEndpoint.Event.LEAD_REACHED_OUT, changed)
    return len(changed)


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
    assignee through `assign_leads`, all in one transaction.

    Raises ValidationError({"email": [...]}) when another lead has the email in any case.
    """
    contact = {"first_name": first_name, "last_name": last_name, "email": email}
    contact = {field: value.strip() for field, value in contact.items() if value is not None}
    with transaction.atomic():
        if contact:
            for field, value in contact.items():
                setattr(lead, field, value)
            try:
                with transaction.atomic():
                    lead.save(update_fields=[*contact, "updated_at"])
            except IntegrityError as exc:
                raise ValidationError({"email": [EMAIL_TAKEN_MESSAGE]}, code="duplicate") from exc
        if status is not None:
            change_status(leads=Lead.objects.filter(pk=lead.pk), status=status, by=by)
            lead.refresh_from_db(fields=["status", "reached_out_at", "reached_out_by", "updated_at"])
        if assigned_to is not UNCHANGED:
            assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=assigned_to, by=by)
            lead.refresh_from_db(fields=["assigned_to", "updated_at"])
    return lead


def assign_leads(*, leads: LeadQuerySet, to: User | None, by: User | None) -> int:
    """Assign `leads` to `to` (an active attorney) or to nobody (None); returns how many changed.

    Each change is an AssignmentChange; ONE `lead.assigned` event is queued in the same
    transaction for the worker to fan out (the assignee's emails, webhook calls). `by` is
    who did it, None for the system (LEAD_AUTO_ASSIGN). The one path for every assignment:
    admin field and bulk actions, API PATCH, auto-assignment on intake.
    """
    if to is not None and not User.objects.attorneys().filter(pk=to.pk).exists():
        raise ValidationError({"assigned_to": [NOT_AN_ATTORNEY_MESSAGE]}, code="not_an_attorney")
    with transaction.atomic():
        changed = leads.assign_all(to, by=by)
        if changed:
            data = {"assigned_to": str(to.pk) if to else None, "assigned_by": str(by.pk) if by else None}
            outbox.emit(WebhookEndpoint.Event.LEAD_ASSIGNED, [pk for pk, _ in changed], data)
    return len(changed)


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
    """Delete leads with their history, and queue one lead.deleted event for them; their
    resume files go once the delete commits.

    A file under SHARED_RESUME_PREFIX (seed_leads' sample resume) is shared by many leads
    and stays while any other lead still points at it.
    """
    with transaction.atomic():
        # Locked, so of two racing deletions only the one that deletes a lead reports it.
        rows = list(
            Lead.objects.filter(pk__in=leads.values("pk")).select_for_update().values_list("pk", "resume")
        )
        ids = [pk for pk, _ in rows]
        names = {name for _, name in rows if name}
        _, per_model = Lead.objects.filter(pk__in=ids).delete()
        if ids:
            outbox.emit(WebhookEndpoint.Event.LEAD_DELETED, ids)
        # Uploads have unique random names; only shared ones need the (unindexed) check.
        names -= {
            name
            for name in names
            if name.startswith(SHARED_RESUME_PREFIX) and Lead.objects.filter(resume=name).exists()
        }
        storage = Lead._meta.get_field("resume").storage
        transaction.on_commit(partial(_delete_files, storage, sorted(names)))
    return per_model.get(Lead._meta.label, 0)


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
            tasks.send_delivery.enqueue(str(pk))
    return len(ids)


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


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
