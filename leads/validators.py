"""Input checks: a resume is judged by its content, never by its name (its first bytes,
then the real parsers: pypdf, olefile, zipfile, expat, in a child process with bounded time
and memory: leads.resume_check); names and attribution fields are plain text, and names
carry no link or address; an email address holds no character that hides what it is, and is
compared in its normalised form (email_key)."""

import atexit
import json
import os
import selectors
import subprocess
import sys
import threading
import time
import unicodedata
from contextlib import suppress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.encoding import punycode
from django.utils.translation import gettext_lazy as _

from web.responses import ServiceUnavailable

from . import resume_check

# DOCX: a package larger than this once inflated is refused unread (zip bombs).
DOCX_MAX_INFLATION = 10  # x RESUME_MAX_BYTES
# A checker that has not answered RESUME_CHECK_SECONDS + this after it got the file is
# killed: its CPU timer has not fired in that time, so it is stuck or starved.
CHECK_GRACE_SECONDS = 2
# Checker processes per web process at most (one per thread checking at the same time).
CHECKERS_PER_PROCESS = 4
# A checker that is not ready this long after it was started is a fault of ours (503).
START_SECONDS = 30

# Shown to prospects in their language (gettext_lazy: translated where they are shown).
MESSAGES = {
    resume_check.INVALID_TYPE: _("Upload a PDF, DOC or DOCX file."),
    resume_check.UNREADABLE: _(
        "This file could not be read as a %(kind)s. Save it again and upload the new copy."
    ),
    resume_check.TOO_COMPLEX: _(
        "This %(kind)s is too complex for us to check. Save it again (for example with Print to PDF) "
        "and upload the new copy."
    ),
    resume_check.ENCRYPTED: _("This file is password-protected. Upload a copy without a password."),
    resume_check.MACROS: _(
        "Documents with macros are not accepted. Save it as a plain Word document (.docx) or PDF."
    ),
    resume_check.ZIP_BOMB: _(
        "This Word file unpacks to far more than its size. Save it again and upload the new copy."
    ),
    resume_check.SCRIPTS: _(
        "PDFs with scripts or launch actions are not accepted. "
        "Save it again as a plain PDF (for example with Print to PDF)."
    ),
    resume_check.XFA: _(
        "PDFs with XFA forms are not accepted. Save it again as a plain PDF (for example with Print to PDF)."
    ),
    resume_check.OTHER_FILES: _(
        "PDFs with links that open other files are not accepted. "
        "Save it again as a plain PDF (for example with Print to PDF)."
    ),
    resume_check.FORM_DATA: _(
        "PDFs with forms that send or fetch data are not accepted. "
        "Save it again as a plain PDF (for example with Print to PDF)."
    ),
    resume_check.EMBEDDED_FILES: _(
        "PDFs with attached or embedded files are not accepted. "
        "Save it again as a plain PDF (for example with Print to PDF)."
    ),
    resume_check.RICH_MEDIA: _(
        "PDFs with video, sound or 3D content are not accepted. "
        "Save it again as a plain PDF (for example with Print to PDF)."
    ),
    resume_check.EXTERNAL_CONTENT: _(
        "Word documents that load content from elsewhere (such as an online template) are not "
        "accepted. Save it as a new document, or as a PDF, and upload that."
    ),
    resume_check.OLE_OBJECTS: _(
        "Word documents with embedded objects (such as a spreadsheet, a chart's data or another "
        "file) are not accepted. Save it as a new document, or as a PDF, and upload that."
    ),
    resume_check.ALT_CHUNK: _(
        "Word documents with content imported from other files are not accepted. "
        "Save it as a new document, or as a PDF, and upload that."
    ),
    resume_check.DDE_FIELDS: _(
        "Word documents with fields that start other programs (DDE fields) are not accepted. "
        "Save it as a new document, or as a PDF, and upload that."
    ),
}
KIND_NAMES = {"pdf": _("PDF"), "doc": _("Word document"), "docx": _("Word document"), None: _("file")}
NAMED_BUT_NOT = _(
    "This file's name says %(kind)s, but its content is not a %(kind)s. Save or export it again "
    "as a PDF, DOC or DOCX file and upload that."
)


def kind_by_name(name: str) -> str | None:
    """'pdf', 'doc' or 'docx' from a file name's extension, or None."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return extension if extension in {"pdf", "doc", "docx"} else None


# The lengths of Lead.source and Lead.referrer, which the form's cleaning keeps to.
SOURCE_MAX_CHARS = 100
REFERRER_MAX_CHARS = 500

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# Set on an upload once validate_resume accepted it.
CHECKED_KIND = "_resume_kind_checked"


def validate_resume(file) -> str:
    """Raise ValidationError unless `file` is a non-empty PDF/DOC/DOCX within RESUME_MAX_BYTES
    that passes the content checks (leads.resume_check); returns its kind.

    An upload is checked once: the form or the serializer checks it for the field's error,
    the service again before storing it, and the second call reuses the first one's verdict.
    Callers hold no database transaction meanwhile: a check may take seconds.
    """
    if (kind := getattr(file, CHECKED_KIND, None)) is not None:
        return kind
    size = getattr(file, "size", None)
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size is not None and size > settings.RESUME_MAX_BYTES:
        raise too_large(size)
    file.seek(0)
    try:
        data = file.read(settings.RESUME_MAX_BYTES + 1)
    finally:
        file.seek(0)
    if len(data) > settings.RESUME_MAX_BYTES:
        raise too_large(len(data))
    verdict = check_content(data)
    if verdict["error"] is not None:
        code, kind = verdict["error"], verdict["kind"] or resume_check.detect_kind_by_magic(data)
        if code == resume_check.INVALID_TYPE and (named := kind_by_name(getattr(file, "name", ""))):
            # A text file renamed cv.pdf: the name is not the problem, its content is.
            raise ValidationError(NAMED_BUT_NOT, code=code, params={"kind": KIND_NAMES[named]})
        raise ValidationError(MESSAGES[code], code=code, params={"kind": KIND_NAMES[kind]})
    setattr(file, CHECKED_KIND, verdict["kind"])
    return verdict["kind"]


def too_large(size: int) -> ValidationError:
    return ValidationError(
        _("The file is too large (%(size)s); the limit is %(limit)s."),
        code="too_large",
        params={"size": filesizeformat(size), "limit": filesizeformat(settings.RESUME_MAX_BYTES)},
    )


# --- The checker processes -------------------------------------------------------------------


def check_content(data: bytes) -> dict:
    """leads.resume_check's verdict on `data` ({"kind", "error"}), from a checker process of
    this web process; TOO_COMPLEX when it does not answer in time (it is killed then).

    Its CPU time is capped at RESUME_CHECK_SECONDS, its memory at RESUME_CHECK_MEMORY_MB over
    its own, and it gets CHECK_GRACE_SECONDS more (a busy CPU) to answer.
    """
    seconds = settings.RESUME_CHECK_SECONDS
    header = {
        "size": len(data),
        "seconds": seconds,
        "max_unpacked": DOCX_MAX_INFLATION * settings.RESUME_MAX_BYTES,
    }
    with ResumeChecker.slots:
        checker = ResumeChecker.take(settings.RESUME_CHECK_MEMORY_MB * 1024 * 1024)
        deadline = time.monotonic() + seconds + CHECK_GRACE_SECONDS
        try:
            answer = checker.exchange(json.dumps(header).encode() + b"\n" + data, deadline)
        except BaseException:  # the worker is being stopped: no checker is left behind
            checker.stop()
            raise
        verdict = json.loads(answer) if answer is not None else None
        if verdict is None or verdict["error"] == resume_check.TOO_COMPLEX:
            checker.stop()  # it has exited after TOO_COMPLEX, or it is stuck: the next file gets another
            return {"kind": verdict["kind"] if verdict else None, "error": resume_check.TOO_COMPLEX}
        checker.give_back()
    return verdict


class CheckerUnavailable(ServiceUnavailable):
    """A checker process could not be started: 503, as for any service a request needs."""

    service = "Resume checker"


class ResumeChecker:
    """A `python -m leads.resume_check` process of this web process: started when no idle one
    is left (~0.2 s of CPU, not counted in a file's time), reused for the next file, stopped
    when it did not answer in time or ran out of its bounds. At most CHECKERS_PER_PROCESS run
    at once; more threads checking at once (gthread, runserver) wait for one."""

    idle: list["ResumeChecker"] = []
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(CHECKERS_PER_PROCESS)

    def __init__(self, memory_bytes: int):
        self.memory_bytes, self.owner = memory_bytes, os.getpid()
        self.process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
            # -E -s and an empty environment: the parser of a hostile file gets no database
            # address, no secret key and no user site-packages.
            [sys.executable, "-E", "-s", "-m", "leads.resume_check", str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a parser's warnings may quote the file
            env={},
            cwd=settings.BASE_DIR,
        )
        os.set_blocking(self.process.stdin.fileno(), False)
        if self.exchange(b"", time.monotonic() + START_SECONDS) != resume_check.READY:
            self.stop()
            raise CheckerUnavailable("the checker process did not start")

    @classmethod
    def take(cls, memory_bytes: int) -> "ResumeChecker":
        """An idle checker with this memory bound, or a new one."""
        with cls.lock:
            # Checkers of the process this one was forked from are theirs, not ours to use;
            # one that has died meanwhile (killed, out of memory) is let go.
            mine = [checker for checker in cls.idle if checker.owner == os.getpid()]
            for checker in mine:
                if checker.process.poll() is not None:
                    checker.stop()
            cls.idle = [checker for checker in mine if checker.process.returncode is None]
            for checker in cls.idle:
                if checker.memory_bytes == memory_bytes:
                    cls.idle.remove(checker)
                    return checker
        return cls(memory_bytes)

    def give_back(self) -> None:
        with self.lock:
            self.idle.append(self)

    def exchange(self, request: bytes, deadline: float) -> bytes | None:
        """Send `request`, return the answer's line; None if none came by `deadline`."""
        stdin, stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        unsent, answer = memoryview(request), b""
        with selectors.DefaultSelector() as selector:
            if unsent:
                selector.register(stdin, selectors.EVENT_WRITE)
            selector.register(stdout, selectors.EVENT_READ)
            while not answer.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                for key, _ in selector.select(remaining):
                    if key.fd == stdout:
                        if not (chunk := os.read(stdout, 4096)):
                            return None  # it ended without an answer
                        answer += chunk
                        continue
                    try:
                        unsent = unsent[os.write(stdin, unsent) :]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        return None
                    if not unsent:
                        selector.unregister(stdin)
        return answer

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()


@atexit.register
def stop_idle_checkers() -> None:
    for checker in ResumeChecker.idle:
        if checker.owner == os.getpid():
            checker.stop()


# A phone number as typed, spaces and punctuation included.
PHONE_MAX_CHARS = 40


def validate_plain_text(value: str) -> None:
    """Refuse control and formatting characters (line breaks, NUL, bidi overrides): a name
    is one line of text, and a line break in it could end up in an email header."""
    if any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in value):
        raise ValidationError(_("Use letters, spaces and punctuation only."), code="control_characters")


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
        raise ValidationError(_("Enter a name without links or email addresses."), code="link")
    if ENCODED_WORD_MARKER in value:
        message = _("Enter a name without “=?”: mail programs read it as encoded text.")
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
            _("Enter the email address without control or invisible characters."), code="hidden_characters"
        )
    try:
        validate_email(value)
    except ValidationError:
        return  # Django's validator, which runs beside this one, says so once
    try:
        punycode(value.rpartition("@")[2])
    except UnicodeError:
        raise ValidationError(_("Enter a valid email address."), code="invalid") from None


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
