"""Serving a resume: one response for the admin and the API alike, every download recorded."""

import re
import uuid
from pathlib import Path

from django.http import FileResponse, Http404

from . import services
from .models import Lead, Resubmission
from .validators import CONTENT_TYPES


def resume_filename(lead: Lead, resubmission: Resubmission | None = None) -> str:
    """`First_Last_resume.ext` (a resubmission's: `First_Last_resume_YYYY-MM-DD.ext`), with
    anything but letters, digits, - and _ replaced."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{lead.first_name}_{lead.last_name}").strip("_") or "lead"
    when = f"_{resubmission.created_at:%Y-%m-%d}" if resubmission else ""
    file = resubmission.resume if resubmission else lead.resume
    return f"{stem[:80]}_resume{when}{Path(file.name).suffix.lower()}"


def requested_resubmission(lead: Lead, resubmission_id: str | None) -> Resubmission | None:
    """The lead's resubmission that `?resubmission=<id>` names, None without the parameter;
    an unknown or malformed id (or another lead's) is a 404, as an unknown lead is."""
    if resubmission_id is None:
        return None
    try:
        uuid.UUID(resubmission_id)
    except ValueError:
        raise Http404("No such resubmission of this lead.") from None
    resubmission = lead.resubmissions.filter(pk=resubmission_id).first()
    if resubmission is None:
        raise Http404("No such resubmission of this lead.")
    return resubmission


def resume_response(lead: Lead, *, resubmission_id: str | None, by, via: str) -> FileResponse:
    """One of the lead's resumes as an attachment — the first, or the resubmission's that
    `resubmission_id` names — typed by its stored extension, never sniffed; the download is
    recorded before the file is streamed (services.record_resume_download)."""
    resubmission = requested_resubmission(lead, resubmission_id)
    file = resubmission.resume if resubmission else lead.resume
    if not file:
        raise Http404("This lead has no resume.")
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The resume file is missing.") from exc
    services.record_resume_download(lead=lead, resubmission=resubmission, by=by, via=via)
    kind = Path(file.name).suffix.lower().lstrip(".")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=resume_filename(lead, resubmission),
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
