"""Checking an uploaded resume's content: the child process a web process keeps for it.

    python -m leads.resume_check MEMORY_BYTES     (requests on stdin, verdicts on stdout)

Whatever a file's structure, checking it must cost bounded time and memory, and a parser's
work cannot be bounded from outside it in the same process: pypdf parses a whole object
stream, or one plain 3 MiB object into 450 MiB, in a single call. So the parsers run here.
This process caps its own address space (RLIMIT_AS: what it holds after its imports plus
MEMORY_BYTES) and each check's CPU time (ITIMER_PROF, interrupting the parser wherever it
is); the web process (leads.validators) kills it if it does not answer in time, and starts
another for the next file. Between checks it waits for the next one, so a check costs the
parsing alone, not a process start (~180 ms of CPU).

Protocol: READY out once started; then per file a JSON line `{"size", "seconds",
"max_unpacked"}` and `size` bytes in, a JSON line `{"kind", "error"}` out (`kind`: "pdf",
"doc", "docx" or null; `error`: one of the codes below or null). After TOO_COMPLEX it exits,
so nothing of that file's memory stays. It never writes a parser's message (which may quote
the file). No Django here: it starts in a fraction of a second and touches no database.
"""

import io
import json
import re
import resource
import signal
import struct
import sys
import zipfile
from xml.parsers import expat

import olefile
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

PDF_MAGIC = b"%PDF-"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word .doc (Compound File)
ZIP_MAGIC = b"PK\x03\x04"  # .docx is a zip holding word/document.xml
READY = b"ready\n"

# Verdicts (leads.validators words each for the prospect).
INVALID_TYPE = "invalid_type"
UNREADABLE = "unreadable"
TOO_COMPLEX = "too_complex"
ENCRYPTED = "encrypted"
MACROS = "macros"
ZIP_BOMB = "zip_bomb"
SCRIPTS = "active_content"  # JavaScript or a launch action
XFA = "xfa_form"
OTHER_FILES = "remote_action"  # GoToR / GoToE: open another file
FORM_DATA = "form_data_action"  # SubmitForm / ImportData: send or load form data
EMBEDDED_FILES = "embedded_files"
RICH_MEDIA = "rich_media"
EXTERNAL_CONTENT = "external_content"  # DOCX: a relationship to anything outside but a hyperlink
OLE_OBJECTS = "ole_objects"
ALT_CHUNK = "alt_chunk"
DDE_FIELDS = "dde_fields"

# PDF: what runs code or programs, opens or sends to other files, carries files, or plays
# media, wherever it is reachable from the trailer. Rich media: the annotations and actions
# that play video, sound, Flash or 3D content (/Screen and /Rendition are how PDF 1.5+
# plays media; /Movie and /Sound the older forms).
PDF_SCRIPT_KEYS = {"/JS", "/JavaScript"}
PDF_ACTIONS = {
    "/JavaScript": SCRIPTS,
    "/Launch": SCRIPTS,
    "/GoToR": OTHER_FILES,
    "/GoToE": OTHER_FILES,
    "/SubmitForm": FORM_DATA,
    "/ImportData": FORM_DATA,
    "/Rendition": RICH_MEDIA,
    "/Movie": RICH_MEDIA,
    "/Sound": RICH_MEDIA,
    "/RichMediaExecute": RICH_MEDIA,
}
PDF_SUBTYPES = {
    "/FileAttachment": EMBEDDED_FILES,
    "/RichMedia": RICH_MEDIA,
    "/Screen": RICH_MEDIA,
    "/Movie": RICH_MEDIA,
    "/Sound": RICH_MEDIA,
    "/3D": RICH_MEDIA,
}
# The walk's own budgets, far above a resume's (a 36-page manual: 4,177 nodes, 434 objects),
# so that a file built to make it go round fails fast instead of at the CPU limit. Every
# node counts, repeats included: an array of references already seen costs its length.
PDF_MAX_NODES = 1_000_000
PDF_MAX_OBJECTS = 100_000
# DOCX: a package larger than this once inflated, or with more members, is refused unread
# (zip bombs); the declared sizes are binding, since zipfile never reads past them.
DOCX_MAX_MEMBERS = 1_000
DOCX_CONTENT_TYPES_MAX_BYTES = 1024 * 1024
XML_CHUNK = 64 * 1024
WORD_FIB_ENCRYPTED = 0x0100  # FibBase.fEncrypted, in the 16-bit flags at offset 10
# The parts of a Word package whose text a reader shows: where objects and fields live.
WORD_STORY = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "
RELATIONSHIP_NS = "http://schemas.openxmlformats.org/package/2006/relationships "
# Relationship types (their last path segment, lower-cased) refused even inside the package.
INTERNAL_REFUSED = {"oleobject": OLE_OBJECTS, "package": OLE_OBJECTS, "afchunk": ALT_CHUNK}
# Embedded OLE objects (a spreadsheet, a chart's workbook, any file) and ActiveX controls.
OLE_FOLDERS = ("word/embeddings/", "word/activex/")
DDE_INSTRUCTIONS = ("DDE", "DDEAUTO")


class Refused(Exception):
    """The file is refused; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class OutOfTime(BaseException):
    """The check used up its CPU time. A BaseException: no parser's `except Exception` eats it."""


def check(data: bytes, *, seconds: float, max_unpacked: int) -> dict:
    """{"kind", "error"} for `data`, its CPU time capped at `seconds`."""
    kind = None
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        kind = detect_kind(data)
        if kind is None:
            return {"kind": None, "error": INVALID_TYPE}
        INSPECTORS[kind](data, max_unpacked=max_unpacked)
    except Refused as refused:
        return {"kind": kind, "error": refused.code}
    except (OutOfTime, MemoryError, RecursionError):
        return {"kind": kind, "error": TOO_COMPLEX}
    except Exception:  # hostile input breaks parsers in many ways; all mean "unreadable"
        return {"kind": kind, "error": UNREADABLE}
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return {"kind": kind, "error": None}


def detect_kind(data: bytes) -> str | None:
    """'pdf', 'doc' or 'docx' from the content, or None for anything else."""
    kind = detect_kind_by_magic(data)
    if kind == "docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    return kind


def detect_kind_by_magic(data: bytes) -> str | None:
    """What the first bytes say the file is (a zip may still be no Word document)."""
    for magic, kind in ((PDF_MAGIC, "pdf"), (OLE2_MAGIC, "doc"), (ZIP_MAGIC, "docx")):
        if data.startswith(magic):
            return kind
    return None


# --- PDF ---------------------------------------------------------------------------------


def inspect_pdf(data: bytes, **limits) -> None:
    """Refuse a PDF that pypdf cannot parse strictly, is encrypted, or carries active content
    anywhere reachable from its trailer (catalog, pages, annotations, forms, names)."""
    reader = PdfReader(io.BytesIO(data), strict=True)
    if reader.is_encrypted:
        raise Refused(ENCRYPTED)
    if not reader.pages:
        raise Refused(UNREADABLE)
    if found := pdf_active_content(reader.trailer):
        raise Refused(found)


def pdf_active_content(root) -> str | None:
    """The code of the first active content found from `root`, or None; TOO_COMPLEX past the
    walk's budgets."""
    pending, seen, nodes = [root], set(), 0
    while pending:
        node = pending.pop()
        nodes += 1
        if nodes > PDF_MAX_NODES:
            raise Refused(TOO_COMPLEX)
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            if len(seen) > PDF_MAX_OBJECTS:
                raise Refused(TOO_COMPLEX)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            if found := pdf_dictionary_content(node):
                return found
            pending.extend(node.values())
        elif isinstance(node, ArrayObject):
            pending.extend(node)
    return None


def pdf_dictionary_content(node: DictionaryObject) -> str | None:
    """The code of the active content this one dictionary is or names, or None."""
    if PDF_SCRIPT_KEYS & node.keys() or "/Launch" in node:
        return SCRIPTS
    if "/XFA" in node:
        return XFA
    if "/EmbeddedFiles" in node or "/EF" in node or entry(node, "/Type") == "/EmbeddedFile":
        return EMBEDDED_FILES
    if "/RichMediaContent" in node:
        return RICH_MEDIA
    return PDF_ACTIONS.get(entry(node, "/S")) or PDF_SUBTYPES.get(entry(node, "/Subtype"))


def entry(node: DictionaryObject, key: str) -> str | None:
    """The name at node[key], resolved (dict.get would leave an indirect one a reference)."""
    value = node[key] if key in node else None  # noqa: SIM401 (node[key] resolves it)
    return value if isinstance(value, NameObject) else None


# --- DOC (OLE compound file) ---------------------------------------------------------------


def inspect_doc(data: bytes, **limits) -> None:
    """Refuse an OLE file that is not a Word document, is encrypted, or carries macros."""
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            raise Refused(ENCRYPTED)  # an encrypted DOCX/DOC package
        if not ole.exists("WordDocument"):
            raise Refused(INVALID_TYPE)
        if ole.exists("Macros") or ole.exists("_VBA_PROJECT_CUR"):
            raise Refused(MACROS)
        with ole.openstream("WordDocument") as stream:
            fib = stream.read(12)
    if len(fib) < 12:
        raise Refused(UNREADABLE)
    (flags,) = struct.unpack_from("<H", fib, 10)
    if flags & WORD_FIB_ENCRYPTED:
        raise Refused(ENCRYPTED)


# --- DOCX (zip package) --------------------------------------------------------------------


def inspect_docx(data: bytes, *, max_unpacked: int) -> None:
    """Refuse a Word package that could inflate past `max_unpacked`, is encrypted, is
    macro-enabled, or holds external content, OLE objects, imported chunks or DDE fields."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > DOCX_MAX_MEMBERS or sum(m.file_size for m in members) > max_unpacked:
            raise Refused(ZIP_BOMB)
        if any(m.flag_bits & 0x1 for m in members):
            raise Refused(ENCRYPTED)
        names = {m.filename.lower(): m for m in members}
        content_types = b""
        if "[content_types].xml" in names:
            with archive.open(names["[content_types].xml"]) as part:
                content_types = part.read(DOCX_CONTENT_TYPES_MAX_BYTES).lower()
        if any(name.endswith("vbaproject.bin") for name in names) or b"macroenabled" in content_types:
            raise Refused(MACROS)
        if any(name.startswith(OLE_FOLDERS) for name in names):
            raise Refused(OLE_OBJECTS)
        for name, member in names.items():
            if name.endswith(".rels"):
                parse_xml(archive, member, Relationships())
        for name, member in names.items():
            if WORD_STORY.fullmatch(name):
                parse_xml(archive, member, Story())


def parse_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo, handler) -> None:
    """Stream one part through expat in chunks, refusing any DTD (so no entity expansion)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.characters
    with archive.open(member) as part:
        while chunk := part.read(XML_CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def refuse_dtd(*args) -> None:
    raise Refused(UNREADABLE)


class Relationships:
    """A .rels part: every relationship leaving the package must be a hyperlink (a resume's
    LinkedIn page); a remote template, frame, subdocument or image is refused, and so are
    OLE objects and imported chunks wherever they point."""

    def start(self, name: str, attributes: dict) -> None:
        if name != RELATIONSHIP_NS + "Relationship":
            return
        kind = attributes.get("Type", "").rsplit("/", 1)[-1].lower()
        if kind in INTERNAL_REFUSED:
            raise Refused(INTERNAL_REFUSED[kind])
        if attributes.get("TargetMode", "").lower() == "external" and kind != "hyperlink":
            raise Refused(EXTERNAL_CONTENT)

    def end(self, name: str) -> None:
        pass

    def characters(self, data: str) -> None:
        pass


class Story:
    """A part with text (document, header, footer, notes): refuses embedded objects
    (w:object), imported chunks (w:altChunk), and fields whose instruction is DDE or DDEAUTO,
    in w:fldSimple or spread over the w:instrText runs of a complex field."""

    def __init__(self):
        self.fields: list[list[str]] = []  # the instruction text of each open complex field
        self.in_instruction = False

    def start(self, name: str, attributes: dict) -> None:
        if name in (WORD_NS + "object", WORD_NS + "altChunk"):
            raise Refused(OLE_OBJECTS if name.endswith("object") else ALT_CHUNK)
        if name == WORD_NS + "fldSimple":
            self.refuse_dde(attributes.get(WORD_NS + "instr", ""))
        elif name == WORD_NS + "fldChar":
            kind = attributes.get(WORD_NS + "fldCharType")
            if kind == "begin":
                self.fields.append([])
            elif kind in ("separate", "end") and self.fields:
                self.refuse_dde("".join(self.fields[-1]))
                if kind == "end":
                    self.fields.pop()
        elif name == WORD_NS + "instrText":
            self.in_instruction = True

    def end(self, name: str) -> None:
        if name == WORD_NS + "instrText":
            self.in_instruction = False

    def characters(self, data: str) -> None:
        if self.in_instruction and self.fields:
            self.fields[-1].append(data)

    @staticmethod
    def refuse_dde(instruction: str) -> None:
        words = instruction.split(maxsplit=1)
        if words and words[0].upper() in DDE_INSTRUCTIONS:
            raise Refused(DDE_FIELDS)


INSPECTORS = {"pdf": inspect_pdf, "doc": inspect_doc, "docx": inspect_docx}


# --- The process ---------------------------------------------------------------------------


def out_of_time(signum, frame) -> None:
    raise OutOfTime


def limit_memory(extra_bytes: int) -> None:
    """Cap the address space at what this process maps now plus `extra_bytes`."""
    with open("/proc/self/status") as status:
        mapped = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (mapped + extra_bytes, mapped + extra_bytes))


def main(argv: list[str]) -> int:
    limit_memory(int(argv[0]))
    signal.signal(signal.SIGPROF, out_of_time)
    requests, verdicts = sys.stdin.buffer, sys.stdout.buffer
    verdicts.write(READY)  # the file's time starts now, not while Python starts
    verdicts.flush()
    while line := requests.readline():
        request = json.loads(line)
        data = requests.read(request["size"])
        verdict = check(data, seconds=request["seconds"], max_unpacked=request["max_unpacked"])
        del data
        verdicts.write(json.dumps(verdict).encode() + b"\n")
        verdicts.flush()
        if verdict["error"] == TOO_COMPLEX:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
