"""The business actions. Every interface (form, admin, API, commands) calls these."""

from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from .models import Lead, LeadQuerySet
from .tasks import enqueue_new_lead_emails
from .validators import validate_resume

DUPLICATE_EMAIL_MESSAGE = "We already have an application with this email address."
EMAIL_TAKEN_MESSAGE = "Another lead already has this email address."
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
) -> Lead:
    """Store the resume, save the lead as PENDING and, after commit, enqueue both emails.

    Raises ValidationError({field: [...]}) for a bad resume or an email already on file
    (also when a concurrent submission wins the race); the stored file is removed then.
    """
    kind = validate_resume(resume)
    # No duplicate look-up here: the form and the serializer ask first for a friendly
    # message, and the unique index decides every other case (below), races included.
    lead = Lead(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        status=Lead.Status.PENDING,
        source=source,
        referrer=referrer,
    )
    lead.resume.save(f"resume.{kind}", resume, save=False)
    try:
        with transaction.atomic():
            lead.save(force_insert=True)
            # robust: the lead is committed by then; a queue hiccup is logged, never a 500.
            transaction.on_commit(partial(enqueue_new_lead_emails, str(lead.pk)), robust=True)
    except IntegrityError as exc:
        lead.resume.delete(save=False)
        if Lead.objects.by_email(email) is not None:
            raise ValidationError({"email": [DUPLICATE_EMAIL_MESSAGE]}, code="duplicate") from exc
        raise
    except BaseException:
        lead.resume.delete(save=False)
        raise
    return lead


def reach_out(*, lead: Lead, by) -> Lead:
    """Mark one lead REACHED_OUT (idempotent); the first time and attorney are kept."""
    return Lead.objects.mark_reached_out(lead, by=by)


def reach_out_many(*, leads: LeadQuerySet, by) -> int:
    """Mark every PENDING lead of `leads` REACHED_OUT; returns how many changed."""
    return leads.mark_all_reached_out(by=by)


def change_status(*, lead: Lead, status: str, by) -> Lead:
    """Move a lead to `status` through the recorded transitions."""
    if status == Lead.Status.REACHED_OUT:
        return Lead.objects.mark_reached_out(lead, by=by)
    if status == Lead.Status.PENDING:
        return Lead.objects.mark_pending(lead, by=by)
    raise ValidationError({"status": [f"Unknown status {status!r}."]})


def update_lead(
    *,
    lead: Lead,
    by,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    status: str | None = None,
) -> Lead:
    """Change a lead's names or email, and move its status through `change_status`.

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
            lead = change_status(lead=lead, status=status, by=by)
    return lead


def delete_leads(*, leads: LeadQuerySet) -> int:
    """Delete leads with their history; their resume files go once the delete commits.

    A file under SHARED_RESUME_PREFIX (seed_leads' sample resume) is shared by many leads
    and stays while any other lead still points at it.
    """
    with transaction.atomic():
        names = {name for name in leads.values_list("resume", flat=True) if name}
        _, per_model = Lead.objects.filter(pk__in=leads.values("pk")).delete()
        # Uploads have unique random names; only shared ones need the (unindexed) check.
        names -= {
            name
            for name in names
            if name.startswith(SHARED_RESUME_PREFIX) and Lead.objects.filter(resume=name).exists()
        }
        storage = Lead._meta.get_field("resume").storage
        transaction.on_commit(partial(_delete_files, storage, sorted(names)))
    return per_model.get(Lead._meta.label, 0)


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)
