"""The test suite's documents: real, small PDF/DOC/DOCX files, the hostile variants the
resume checks must refuse, and files with text, huge or hostile, for the text extraction.
Every test that needs a resume builds it here."""

import functools
import io
import math
import struct
import zipfile
import zlib

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from leads.demo import sample_pdf

# --- PDF --------------------------------------------------------------------------------


def minimal_pdf(text: str = "Jane Doe, resume") -> bytes:
    """A real one-page PDF every reader accepts (pypdf wrote it)."""
    return sample_pdf(text)


MINIMAL_PDF = minimal_pdf()


def _rewritten(change) -> bytes:
    """MINIMAL_PDF rewritten by pypdf after `change(writer)` edits it."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(MINIMAL_PDF)))
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _set(target: str, key: str, value):
    """A change that sets `key` on the catalog or on the first page."""

    def change(writer: PdfWriter) -> None:
        where = writer.root_object if target == "catalog" else writer.pages[0]
        where[NameObject(key)] = value

    return change


def action(kind: str, **entries) -> DictionaryObject:
    """A PDF action dictionary: /S kind plus the given entries (strings)."""
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject(f"/{kind}"),
            **{NameObject(f"/{key}"): TextStringObject(value) for key, value in entries.items()},
        }
    )


def encrypted_pdf() -> bytes:
    return _rewritten(lambda writer: writer.encrypt(user_password="secret", algorithm="RC4-128"))


def opens_at_first_page_pdf() -> bytes:
    """A harmless /OpenAction: a destination (show page 1), not an action."""

    def change(writer: PdfWriter) -> None:
        writer.open_destination = writer.pages[0]

    return _rewritten(change)


def javascript_pdf() -> bytes:
    """Runs JavaScript when opened (/OpenAction with a /JavaScript action)."""
    return _rewritten(_set("catalog", "/OpenAction", action("JavaScript", JS="app.alert('hi')")))


def page_action_javascript_pdf() -> bytes:
    """Runs JavaScript when its page opens (/AA on the page)."""
    additional = DictionaryObject({NameObject("/O"): action("JavaScript", JS="this.print()")})
    return _rewritten(_set("page", "/AA", additional))


def launch_pdf() -> bytes:
    """Asks the reader to start a program when opened (/Launch action)."""
    return _rewritten(_set("catalog", "/OpenAction", action("Launch", F="cmd.exe")))


def xfa_pdf() -> bytes:
    """An XFA form (its XML in the AcroForm's /XFA): readers that run XFA run its scripts."""

    def change(writer: PdfWriter) -> None:
        xfa = DecodedStreamObject()
        xfa.set_data(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/></xdp:xdp>')
        writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(xfa)}
        )

    return _rewritten(change)


def annotated_pdf(annotation: DictionaryObject) -> bytes:
    """MINIMAL_PDF with `annotation` on its page (a /Rect added)."""

    def change(writer: PdfWriter) -> None:
        annotation[NameObject("/Type")] = NameObject("/Annot")
        annotation[NameObject("/Rect")] = ArrayObject([NumberObject(n) for n in (72, 600, 300, 620)])
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return _rewritten(change)


def link_pdf(kind: str, **entries) -> bytes:
    """A link on the page whose action is /S kind (GoToR, SubmitForm, ...) with `entries`."""
    return annotated_pdf(
        DictionaryObject(
            {NameObject("/Subtype"): NameObject("/Link"), NameObject("/A"): action(kind, **entries)}
        )
    )


def media_pdf(subtype: str) -> bytes:
    """An annotation of `subtype` (RichMedia, Screen, Movie, Sound, 3D) on the page."""
    return annotated_pdf(DictionaryObject({NameObject("/Subtype"): NameObject(f"/{subtype}")}))


def embedded_file_pdf() -> bytes:
    """A file attached to the document (the catalog's /Names /EmbeddedFiles)."""
    return _rewritten(lambda writer: writer.add_attachment("notes.txt", b"attached"))


def file_attachment_pdf() -> bytes:
    """A file attachment annotation on the page (its file given by name only)."""
    spec = DictionaryObject(
        {NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): TextStringObject("a.txt")}
    )
    return annotated_pdf(
        DictionaryObject({NameObject("/Subtype"): NameObject("/FileAttachment"), NameObject("/FS"): spec})
    )


def garbage_pdf() -> bytes:
    """The magic bytes of a PDF and nothing a PDF reader can parse."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8


# --- DOC (OLE compound file) ----------------------------------------------------------

SECTOR = 512
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORD_IDENT = 0xA5EC


def ole_file(streams: dict[str, bytes], storages: tuple[str, ...] = ()) -> bytes:
    """A version 3 compound file with these root-level streams and (empty) storages.

    Streams are padded to 4096 bytes, the mini-stream cutoff, so all live in regular sectors.
    """
    entries = [(name, 2, data.ljust(4096, b"\0")) for name, data in streams.items()]
    entries += [(name, 1, b"") for name in storages]
    dir_sectors = math.ceil((len(entries) + 1) / 4)
    fat = [FAT_SECTOR]
    chain_starts = []

    def chain(length: int) -> int:
        start = len(fat)
        fat.extend(range(start + 1, start + length))
        fat.append(END_OF_CHAIN)
        return start

    directory_start = chain(dir_sectors)
    for _, kind, data in entries:
        chain_starts.append(chain(len(data) // SECTOR) if kind == 2 else 0)
    assert len(fat) <= SECTOR // 4, "one FAT sector is enough for test documents"

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kind,
            1,  # black
            NO_STREAM,
            right,
            child,
            b"",
            0,
            0,
            0,
            start,
            size,
        )

    records = [entry("Root Entry", 5, NO_STREAM, 1 if entries else NO_STREAM, END_OF_CHAIN, 0)]
    for index, ((name, kind, data), start) in enumerate(zip(entries, chain_starts, strict=True), 1):
        right = index + 1 if index < len(entries) else NO_STREAM
        records.append(entry(name, kind, right, NO_STREAM, start, len(data)))
    while len(records) % 4:
        records.append(entry("", 0, NO_STREAM, NO_STREAM, 0, 0))

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        OLE_MAGIC,
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        1,
        directory_start,
        0,
        4096,
        END_OF_CHAIN,
        0,
        END_OF_CHAIN,
        0,
    ) + struct.pack("<109I", 0, *[FREE] * 108)
    fat_sector = struct.pack(f"<{SECTOR // 4}I", *fat, *[FREE] * (SECTOR // 4 - len(fat)))
    body = b"".join(records) + b"".join(data for _, kind, data in entries if kind == 2)
    return header + fat_sector + body


def word_stream(*, encrypted: bool = False) -> bytes:
    """The start of a WordDocument stream: its FIB header, fEncrypted set or not."""
    flags = 0x0100 if encrypted else 0
    return struct.pack("<HHHHHH", WORD_IDENT, 0x00C1, 0, 0x0409, 0, flags)


def word_doc() -> bytes:
    """A legacy Word document: an OLE file with WordDocument and 1Table streams."""
    return ole_file({"WordDocument": word_stream(), "1Table": b"\0"})


def encrypted_doc() -> bytes:
    return ole_file({"WordDocument": word_stream(encrypted=True), "1Table": b"\0"})


def macro_doc() -> bytes:
    """A Word document carrying a VBA project (the Macros storage)."""
    return ole_file({"WordDocument": word_stream(), "1Table": b"\0"}, storages=("Macros",))


def ole_without_word_document() -> bytes:
    """An OLE file that is not a Word document (an Excel workbook's stream)."""
    return ole_file({"Workbook": b"\x09\x08"})


def encrypted_docx() -> bytes:
    """A password-protected DOCX: Office wraps the encrypted package in an OLE file."""
    return ole_file({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\0" * 16})


# --- DOCX (zip package) ---------------------------------------------------------------

DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
DOCUMENT_XML = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Jane Doe, resume</w:t></w:r></w:p></w:body></w:document>"
)


def docx(
    document_xml: str | bytes = DOCUMENT_XML,
    *,
    main: str = DOCX_MAIN,
    extra: dict[str, bytes] | None = None,
    document: bool = True,
) -> bytes:
    """A Word package: content types, word/document.xml (unless not), and `extra` members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES.format(main=main))
        if document:
            archive.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"


def relationships(*entries: tuple[str, str, bool]) -> str:
    """A .rels part: one Relationship per (type's last segment, target, external)."""
    rows = "".join(
        f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/{kind}" Target="{target}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for n, (kind, target, external) in enumerate(entries, start=1)
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    return f"{head}{rows}</Relationships>"


def docx_with_relationships(
    *entries: tuple[str, str, bool], part: str = "word/_rels/document.xml.rels"
) -> bytes:
    """A Word package whose `part` holds these relationships."""
    return docx(extra={part: relationships(*entries).encode()})


def remote_template_docx() -> bytes:
    """A document whose settings attach a template from a web server (fetched when opened)."""
    return docx_with_relationships(
        ("attachedTemplate", "https://templates.example/t.dotm", True), part="word/_rels/settings.xml.rels"
    )


def linkedin_docx() -> bytes:
    """A resume with a link to the prospect's LinkedIn page: an external hyperlink relationship."""
    body = (
        f'<w:document xmlns:w="{WORD_NS}" xmlns:r="{RELATIONSHIPS}"><w:body><w:p>'
        '<w:hyperlink r:id="rId1"><w:r><w:t>linkedin.com/in/jane</w:t></w:r></w:hyperlink>'
        "</w:p></w:body></w:document>"
    )
    rels = relationships(("hyperlink", "https://www.linkedin.com/in/jane", True))
    return docx(body, extra={"word/_rels/document.xml.rels": rels.encode()})


def docx_with_body_xml(body: str) -> str:
    """A document part whose body is `body` (WordprocessingML, prefix w)."""
    return f'<w:document xmlns:w="{WORD_NS}"><w:body>{body}</w:body></w:document>'


def docx_with_body(body: str) -> bytes:
    """A Word package whose document body is `body` (WordprocessingML, prefix w)."""
    return docx(docx_with_body_xml(body))


def complex_field(*instruction_runs: str) -> str:
    """A field whose instruction is spread over these runs (begin, instrText..., separate, end)."""
    runs = "".join(
        f'<w:r><w:instrText xml:space="preserve">{text}</w:instrText></w:r>' for text in instruction_runs
    )
    return (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + runs
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>result</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )


DDE_COMMAND = 'c:\\windows\\system32\\cmd.exe "/k calc.exe"'


def macro_docx() -> bytes:
    """A macro-enabled package (.docm content type and a VBA project) under a .docx name."""
    return docx(main=DOCM_MAIN, extra={"word/vbaProject.bin": OLE_MAGIC + b"\0" * 64})


def zip_bomb(uncompressed: int) -> bytes:
    """A DOCX whose one extra member inflates to `uncompressed` bytes of zeros (~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES.format(main=DOCX_MAIN))
        archive.writestr("word/document.xml", DOCUMENT_XML)
        with archive.open("word/media/padding.bin", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(uncompressed // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def many_members_docx(count: int) -> bytes:
    return docx(extra={f"word/part{n}.xml": b"<x/>" for n in range(count)})


# --- Files with text, for the resume text extraction ----------------------------------------

WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(objects: list[bytes]) -> bytes:
    """A PDF whose objects 1..n are `objects` (1 is the catalog), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def stream(content: bytes, *, compress: bool = False) -> bytes:
    if compress:
        content = zlib.compress(content, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def text_operators(text: str) -> bytes:
    lines = [f"({pdf_escape(line)}) Tj T*" for line in text.splitlines()]
    return f"BT /F1 12 Tf 14 TL 72 720 Td {' '.join(lines)} ET".encode("latin-1")


def pdf_with_pages(texts: list[str]) -> bytes:
    """One page per text; Helvetica, so pypdf extracts exactly the words written."""
    count = len(texts)
    # 1 catalog, 2 pages, 3 font, then (page, content) pairs.
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(texts):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i)
        )
        objects.append(stream(text_operators(text)))
    return pdf(objects)


def pdf_with_text(text: str) -> bytes:
    return pdf_with_pages([text])


def pdf_stream_bomb(megabytes: int) -> bytes:
    """A one-page PDF whose compressed content stream inflates to `megabytes` MiB of spaces."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    content = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    page_stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            page_stream,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def docx_with_paragraphs(paragraphs: list[str]) -> bytes:
    from xml.sax.saxutils import escape

    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    return docx(
        f'<?xml version="1.0"?><w:document xmlns:w="{WORD_NS}"><w:body>{body}</w:body></w:document>'.encode()
    )


def docx_bomb(megabytes: int) -> bytes:
    """A Word package whose document.xml inflates to `megabytes` MiB (whitespace, no text)."""
    out = io.BytesIO()
    head = f'<?xml version="1.0"?><w:document xmlns:w="{WORD_NS}"><w:body>'.encode()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        member.write(head)
        chunk = b" " * (1024 * 1024)
        for _ in range(megabytes):
            member.write(chunk)
        member.write(b"</w:body></w:document>")
    return out.getvalue()


# --- PDFs whose structure, not their size, is the attack ----------------------------------


def pdf_with_object_streams(plain: list[bytes], packed: list[list[bytes]]) -> bytes:
    """A PDF 1.5 file: objects 1..len(plain) written plainly (1 is the catalog), then the
    objects of each group of `packed`, numbered on from there, compressed together in one
    object stream per group, and a cross-reference stream that finds them all."""
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    entries = {0: (0, 0, 65535)}  # number -> (type, field 2, field 3) of the xref stream

    def write(number: int, body: bytes) -> None:
        entries[number] = (1, out.tell(), 0)
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    for number, body in enumerate(plain, start=1):
        write(number, body)
    number = len(plain)
    stream_numbers = range(
        number + sum(map(len, packed)) + 1, number + sum(map(len, packed)) + 1 + len(packed)
    )
    for group, stream_number in zip(packed, stream_numbers, strict=True):
        header, bodies, offset = [], [], 0
        for index, body in enumerate(group):
            number += 1
            entries[number] = (2, stream_number, index)
            header.append(b"%d %d" % (number, offset))
            bodies.append(body)
            offset += len(body) + 1
        head = b" ".join(header) + b"\n"
        data = zlib.compress(head + b"\n".join(bodies), 9)
        write(
            stream_number,
            b"<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
            % (len(group), len(head), len(data))
            + data
            + b"\nendstream",
        )
    xref_number = max(entries) + 1
    xref_offset = out.tell()
    entries[xref_number] = (1, xref_offset, 0)
    rows = b"".join(struct.pack(">BIH", *entries[n]) for n in range(xref_number + 1))
    data = zlib.compress(rows, 9)
    out.write(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d /Filter /FlateDecode >>\n"
        % (xref_number, xref_number + 1, len(data))
        + b"stream\n"
        + data
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    )
    return out.getvalue()


def reference_chain_pdf(*, arrays: int, references: int, per_stream: int = 8) -> bytes:
    """The review's PDF (issue 23): a one-page document whose catalog leads to a chain of
    `arrays` arrays, each `references` references to the one before it (the first to the
    page), packed `per_stream` to a compressed object stream. Every reference after the
    first is to an object already seen, and each stream inflates ~1,000-fold, so a file of
    a few KB holds millions of references for a checker that visits every element."""
    first = 5  # 1 catalog, 2 pages, 3 page, 4 its content; the arrays follow
    last = first + arrays - 1
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R /Chain %d 0 R >>" % last,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        stream(b"BT ET"),
    ]
    chain = [b"[" + b"%d 0 R " % (number - 1 if number > first else 3) * references + b"]"
             for number in range(first, last + 1)]  # fmt: skip
    packed = [chain[start : start + per_stream] for start in range(0, arrays, per_stream)]
    return pdf_with_object_streams(plain, packed)


@functools.cache
def review_chain_pdf() -> bytes:
    """The review's ~108 KB file: 100 arrays of 100,000 references (10 million in all), 8 to
    a stream. Checked without a bound it took 27.5 s and 1.4 GB."""
    return reference_chain_pdf(arrays=100, references=100_000)
