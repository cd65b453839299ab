"""Serving a resume: one response for the admin and the API alike."""

import re
from pathlib import Path

from django.http import FileResponse, Http404

from .models import Lead
from .validators import CONTENT_TYPES


def resume_filename(lead: Lead) -> str:
    """`First_Last_resume.ext` with anything but letters, digits, - and _ replaced."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{lead.first_name}_{lead.last_name}").strip("_") or "lead"
    return f"{stem[:80]}_resume{Path(lead.resume.name).suffix.lower()}"


def resume_response(lead: Lead) -> FileResponse:
    """The lead's resume as an attachment, typed by its stored extension, never sniffed."""
    if not lead.resume:
        raise Http404("This lead has no resume.")
    try:
        handle = lead.resume.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The resume file is missing.") from exc
    kind = Path(lead.resume.name).suffix.lower().lstrip(".")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=resume_filename(lead),
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
