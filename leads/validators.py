"""Input checks: a resume is judged by its content, never by its name (its first bytes,
then the real parsers: pypdf, olefile, zipfile, each bounded); names and attribution fields
are plain text, and names carry no link or address; an email address holds no character
that hides what it is, and is compared in its normalised form (email_key)."""

import struct
import unicodedata
import zipfile
from contextlib import suppress

import olefile
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.encoding import punycode
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

PDF_MAGIC = b"%PDF-"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word .doc (Compound File)
ZIP_MAGIC = b"PK\x03\x04"  # .docx is a zip holding word/document.xml

# PDF: the dictionary keys and action types that run code or programs when a file is opened.
PDF_SCRIPT_KEYS = {"/JS", "/JavaScript"}
PDF_CODE_ACTIONS = {"/JavaScript", "/Launch"}
# Objects visited at most: a hostile PDF made of millions of tiny objects stops here.
PDF_MAX_OBJECTS = 100_000
# DOCX: a package larger than this once inflated, or with more members, is refused unread
# (zip bombs); the declared sizes are binding, since zipfile never reads past them.
DOCX_MAX_MEMBERS = 1_000
DOCX_MAX_INFLATION = 10  # x RESUME_MAX_BYTES
DOCX_CONTENT_TYPES_MAX_BYTES = 1024 * 1024
WORD_FIB_ENCRYPTED = 0x0100  # FibBase.fEncrypted, in the 16-bit flags at offset 10

UNREADABLE = "This file could not be read as a %(kind)s. Save it again and upload the new copy."
ENCRYPTED = "This file is password-protected. Upload a copy without a password."
MACROS = "Documents with macros are not accepted. Save it as a plain Word document (.docx) or PDF."
INFLATES = "This Word file unpacks to far more than its size. Save it again and upload the new copy."
SCRIPTS = (
    "PDFs with scripts or launch actions are not accepted. Save it again as a plain PDF "
    "(for example with Print to PDF)."
)

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


# Set on an upload once validate_resume accepted it.
CHECKED_KIND = "_resume_kind_checked"


def validate_resume(file) -> str:
    """Raise ValidationError unless `file` is a non-empty PDF/DOC/DOCX within RESUME_MAX_BYTES.

    Returns the detected kind. An upload is parsed once: the form or the serializer checks it
    for the field's error, the service again before storing it, and the second call reuses the
    first one's verdict (a 100 KB PDF costs ~4 ms of pypdf each time).
    """
    if (kind := getattr(file, CHECKED_KIND, None)) is not None:
        return kind
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
    try:
        INSPECTORS[kind](file)
    finally:
        file.seek(0)
    setattr(file, CHECKED_KIND, kind)
    return kind


def unreadable(kind: str) -> ValidationError:
    return ValidationError(UNREADABLE, code="unreadable", params={"kind": kind})


def inspect_pdf(file) -> None:
    """Refuse a PDF that pypdf cannot parse strictly, is encrypted, or carries JavaScript or
    launch actions anywhere reachable from its trailer (catalog, pages, annotations, names)."""
    file.seek(0)
    try:
        reader = PdfReader(file, strict=True)
        if reader.is_encrypted:
            raise ValidationError(ENCRYPTED, code="encrypted")
        if not reader.pages:
            raise unreadable("PDF")
        runs_code = pdf_runs_code(reader.trailer)
    except ValidationError:
        raise
    except Exception as exc:  # hostile input breaks parsers in many ways; all mean "unreadable"
        raise unreadable("PDF") from exc
    if runs_code:
        raise ValidationError(SCRIPTS, code="active_content")


def pdf_runs_code(root) -> bool:
    """True if any dictionary reachable from `root` names a script or a launch action."""
    pending, seen, visited = [root], set(), 0
    while pending:
        node = pending.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(node, DictionaryObject):
            # node["/S"] resolves an indirect /S; dict.get would not.
            action = node["/S"] if "/S" in node else None  # noqa: SIM401
            if PDF_SCRIPT_KEYS & set(node) or action in PDF_CODE_ACTIONS or "/Launch" in node:
                return True
            pending.extend(node.values())
        elif isinstance(node, ArrayObject):
            pending.extend(node)
    return False


def inspect_doc(file) -> None:
    """Refuse an OLE file that is not a Word document, is encrypted, or carries macros."""
    file.seek(0)
    try:
        with olefile.OleFileIO(file) as ole:
            if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
                raise ValidationError(ENCRYPTED, code="encrypted")  # an encrypted DOCX/DOC package
            if not ole.exists("WordDocument"):
                raise ValidationError("Upload a PDF, DOC or DOCX file.", code="invalid_type")
            if ole.exists("Macros") or ole.exists("_VBA_PROJECT_CUR"):
                raise ValidationError(MACROS, code="macros")
            with ole.openstream("WordDocument") as stream:
                fib = stream.read(12)
    except ValidationError:
        raise
    except Exception as exc:  # olefile raises OSError, ValueError, struct.error... on hostile input
        raise unreadable("Word document") from exc
    if len(fib) < 12:
        raise unreadable("Word document")
    (flags,) = struct.unpack_from("<H", fib, 10)
    if flags & WORD_FIB_ENCRYPTED:
        raise ValidationError(ENCRYPTED, code="encrypted")


def inspect_docx(file) -> None:
    """Refuse a Word package that could inflate past its bounds, is encrypted, or is
    macro-enabled (a VBA project or a macro-enabled content type)."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            if len(members) > DOCX_MAX_MEMBERS or sum(m.file_size for m in members) > (
                DOCX_MAX_INFLATION * settings.RESUME_MAX_BYTES
            ):
                raise ValidationError(INFLATES, code="zip_bomb")
            if any(m.flag_bits & 0x1 for m in members):
                raise ValidationError(ENCRYPTED, code="encrypted")
            names = {m.filename.lower(): m for m in members}
            content_types = b""
            if "[content_types].xml" in names:
                with archive.open(names["[content_types].xml"]) as part:
                    content_types = part.read(DOCX_CONTENT_TYPES_MAX_BYTES).lower()
    except ValidationError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, zlib.error, EOFError... on hostile input
        raise unreadable("Word document") from exc
    if any(name.endswith("vbaproject.bin") for name in names) or b"macroenabled" in content_types:
        raise ValidationError(MACROS, code="macros")


INSPECTORS = {"pdf": inspect_pdf, "doc": inspect_doc, "docx": inspect_docx}


def validate_plain_text(value: str) -> None:
    """Refuse control and formatting characters (line breaks, NUL, bidi overrides): a name
    is one line of text, and a line break in it could end up in an email header."""
    if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in value):
        raise ValidationError("Use letters, spaces and punctuation only.", code="control_characters")


# Names are repeated in emails and shown to attorneys: "Dear www.evil.example" or a name
# holding a link would let whoever typed it speak through the firm's own mail.
LINK_MARKERS = ("://", "www.", "@")
# A MIME encoded-word (RFC 2047, "=?utf-8?b?...?="): mail programs decode one in a subject, so a
# name holding one reaches attorneys' notifications as whatever it encodes, a link or an address.
ENCODED_WORD_MARKER = "=?"


def validate_name(value: str) -> None:
    """A person's name: plain text (validate_plain_text) without a link, an address or a MIME
    encoded-word in it."""
    validate_plain_text(value)
    lowered = value.lower()
    if any(marker in lowered for marker in LINK_MARKERS):
        raise ValidationError("Enter a name without links or email addresses.", code="link")
    if ENCODED_WORD_MARKER in value:
        message = "Enter a name without “=?”: mail programs read it as encoded text."
        raise ValidationError(message, code="encoded_word")


# Control (Cc) and invisible format (Cf) characters: a soft hyphen, a zero-width space or a word
# joiner make an address look new while sending drops them (IDNA maps them to nothing), and a
# control character in a quoted local part reaches the headers of the mail about the lead.
HIDDEN_CATEGORIES = {"Cc", "Cf"}


def email_key(address: str) -> str:
    """`address` as it is compared: Unicode NFC, the local part lower-cased, the domain IDNA-encoded
    as Django's mail sends it (django.utils.encoding.punycode: Python's IDNA 2003 codec, whose
    nameprep drops invisible characters and folds compatibility forms: a fullwidth e, U+FF45, is
    an "e") and lower-cased; so every spelling that reaches one mailbox has one key. Never raises:
    a domain the codec refuses is kept as typed, lower-cased (validate_email_address refuses it
    in new input; old rows and trapped submissions may hold one)."""
    address = unicodedata.normalize("NFC", address.strip())
    local, at, domain = address.rpartition("@")
    if not at:
        return address.lower()
    with suppress(UnicodeError):
        domain = punycode(domain)
    return f"{unicodedata.normalize('NFC', local.lower())}@{domain.lower()}"


def validate_email_address(value: str) -> None:
    """What Django's EmailValidator lets through and an address must not hold: a control or
    invisible format character anywhere (a quoted local part included), or a domain that the
    IDNA encoding of sending refuses (a label too long once encoded, a character nameprep
    prohibits); the latter only once Django's own validator has passed the address."""
    if any(unicodedata.category(char) in HIDDEN_CATEGORIES for char in value):
        raise ValidationError(
            "Enter the email address without control or invisible characters.", code="hidden_characters"
        )
    try:
        validate_email(value)
    except ValidationError:
        return  # Django's validator, which runs beside this one, says so once
    try:
        punycode(value.rpartition("@")[2])
    except UnicodeError:
        raise ValidationError("Enter a valid email address.", code="invalid") from None


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
