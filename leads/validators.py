"""Input checks: a resume is judged by its first bytes, never by its name; names and
attribution fields are plain text, and names carry no link or address."""

import unicodedata
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat

PDF_MAGIC = b"%PDF-"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word .doc (Compound File)
ZIP_MAGIC = b"PK\x03\x04"  # .docx is a zip holding word/document.xml

# The lengths of Lead.source and Lead.referrer, which the form's cleaning keeps to.
SOURCE_MAX_CHARS = 100
REFERRER_MAX_CHARS = 500

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def detect_resume_kind(file) -> str | None:
    """'pdf', 'doc' or 'docx' from the file's content, or None for anything else."""
    file.seek(0)
    head = file.read(8)
    try:
        if head.startswith(PDF_MAGIC):
            return "pdf"
        if head.startswith(OLE2_MAGIC):
            return "doc"
        if head.startswith(ZIP_MAGIC):
            file.seek(0)
            try:
                with zipfile.ZipFile(file) as archive:
                    return "docx" if "word/document.xml" in archive.namelist() else None
            except zipfile.BadZipFile:
                return None
        return None
    finally:
        file.seek(0)


def validate_resume(file) -> str:
    """Raise ValidationError unless `file` is a non-empty PDF/DOC/DOCX within RESUME_MAX_BYTES.

    Returns the detected kind.
    """
    size = getattr(file, "size", None)
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size is not None and size > settings.RESUME_MAX_BYTES:
        raise ValidationError(
            "The file is too large (%(size)s); the limit is %(limit)s.",
            code="too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(settings.RESUME_MAX_BYTES)},
        )
    kind = detect_resume_kind(file)
    if kind is None:
        raise ValidationError("Upload a PDF, DOC or DOCX file.", code="invalid_type")
    return kind


def validate_plain_text(value: str) -> None:
    """Refuse control and formatting characters (line breaks, NUL, bidi overrides): a name
    is one line of text, and a line break in it could end up in an email header."""
    if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in value):
        raise ValidationError("Use letters, spaces and punctuation only.", code="control_characters")


# Names are repeated in emails and shown to attorneys: "Dear www.evil.example" or a name
# holding a link would let whoever typed it speak through the firm's own mail.
LINK_MARKERS = ("://", "www.", "@")


def validate_name(value: str) -> None:
    """A person's name: plain text (validate_plain_text) without a link or an address in it."""
    validate_plain_text(value)
    lowered = value.lower()
    if any(marker in lowered for marker in LINK_MARKERS):
        raise ValidationError("Enter a name without links or email addresses.", code="link")


def clean_source(value: str) -> str:
    """The `source` a form was opened with, or "" when it is not plain text of at most
    SOURCE_MAX_CHARS (a tracking tag is never worth refusing a prospect over)."""
    value = (value or "").strip()
    try:
        validate_plain_text(value)
    except ValidationError:
        return ""
    return value if len(value) <= SOURCE_MAX_CHARS else ""


def clean_referrer(value: str) -> str:
    """The page that linked to the form if it is an http(s) URL of at most
    REFERRER_MAX_CHARS, else ""."""
    value = (value or "").strip()
    if not value or len(value) > REFERRER_MAX_CHARS:
        return ""
    try:
        validate_plain_text(value)
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return ""
    return value
