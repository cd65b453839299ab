"""Reading a resume's text: the child process the worker starts, and can kill, per resume.

    python -m leads.worker.extract KIND MAX_PAGES MAX_CHARS MEMORY_BYTES  < resume  > text

A hostile file must not stall or exhaust the worker, and a thread cannot be stopped, so the
parsing runs here: the worker (leads.worker.resume_text) pipes the file in, kills this process past
its time limit, and this process caps its own address space before it reads a byte. It
writes the text as UTF-8 and exits 0; on failure it writes nothing and exits with one of the
codes below, never a parser's message (which may quote the file). No Django here: it starts
in a fraction of a second and touches no database.
"""

import io
import re
import resource
import sys
import zipfile
from xml.parsers import expat

EXIT_UNREADABLE = 3
EXIT_OUT_OF_MEMORY = 4
# A DOCX's document.xml is read at most this far (decompressed): a zip bomb stops here.
MAX_XML_BYTES = 32 * 1024 * 1024
XML_CHUNK = 64 * 1024
# A PDF's page tree: what a page inherits from its parents, and how far it is walked.
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
MAX_PAGE_TREE_NODES = 10_000
MAX_PAGE_TREE_DEPTH = 100
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "
# PostgreSQL text holds no NUL; other control characters are noise in a resume's text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


class Unreadable(Exception):
    """The file is not a document we can read (a DTD in a DOCX, a broken zip, ...)."""


def read_text(data: bytes, kind: str, *, max_pages: int, max_chars: int) -> str:
    """The text of a PDF (its first `max_pages` pages) or a DOCX, at most `max_chars` long."""
    if kind == "pdf":
        text = pdf_text(data, max_pages=max_pages, max_chars=max_chars)
    elif kind == "docx":
        text = docx_text(data, max_chars=max_chars)
    else:
        raise Unreadable(kind)
    return BLANK_LINES.sub("\n\n", CONTROL.sub("", text)).strip()[:max_chars]


def pdf_text(data: bytes, *, max_pages: int, max_chars: int) -> str:
    """pypdf's text of the first `max_pages` pages, stopping once `max_chars` are read."""
    from pypdf import PdfReader  # imported after the memory limit is in force

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise Unreadable("encrypted")
    parts, size = [], 0
    for page in first_pages(reader, max_pages):
        if size >= max_chars:
            break
        text = page.extract_text() or ""
        parts.append(text[: max_chars - size])
        size += len(parts[-1]) + 1
    return "\n".join(parts)


def first_pages(reader, limit: int):
    """The first `limit` pages in order, walking the page tree no further than they reach:
    pypdf's `reader.pages` parses every page object first (10,000 pages: 5-15 s here)."""
    from pypdf import PageObject
    from pypdf.generic import DictionaryObject, IndirectObject, NameObject

    stack = [(reader.trailer["/Root"].get_object()["/Pages"], {}, 0)]
    seen: set = set()
    while stack and limit > 0 and len(seen) < MAX_PAGE_TREE_NODES:
        reference, inherited, depth = stack.pop()
        node = reference.get_object()
        key = (reference.idnum, reference.generation) if isinstance(reference, IndirectObject) else id(node)
        if not isinstance(node, DictionaryObject) or key in seen or depth > MAX_PAGE_TREE_DEPTH:
            continue  # damaged or cyclic: skip the entry, as readers do
        seen.add(key)
        if "/Kids" in node:
            inherited = {**inherited, **{name: node[name] for name in INHERITED if name in node}}
            stack.extend((kid, inherited, depth + 1) for kid in reversed(node["/Kids"].get_object()))
            continue
        page = PageObject(reader, reference if isinstance(reference, IndirectObject) else None)
        page.update(node)
        for name, value in inherited.items():
            if name not in page:
                page[NameObject(name)] = value
        limit -= 1
        yield page


def docx_text(data: bytes, *, max_chars: int) -> str:
    """The paragraphs of word/document.xml, streamed through expat in bounded chunks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("word/document.xml") as xml:
            collector = DocxText(max_chars)
            read = 0
            while not collector.is_full() and read < MAX_XML_BYTES:
                chunk = xml.read(min(XML_CHUNK, MAX_XML_BYTES - read))
                if not chunk:
                    break
                read += len(chunk)
                collector.feed(chunk)
            return collector.text()
    except (zipfile.BadZipFile, KeyError, expat.ExpatError) as exc:
        raise Unreadable("docx") from exc


class DocxText:
    """Collects the characters of <w:t> runs, a line per paragraph; refuses any DTD (so no
    entity expansion) and stops taking text at `max_chars`."""

    def __init__(self, max_chars: int):
        self.max_chars, self.size, self.parts, self.in_text = max_chars, 0, [], False
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self.refuse_dtd
        self.parser.EntityDeclHandler = self.refuse_dtd
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.characters

    def feed(self, chunk: bytes) -> None:
        self.parser.Parse(chunk, False)

    def is_full(self) -> bool:
        return self.size >= self.max_chars

    def text(self) -> str:
        return "".join(self.parts)[: self.max_chars]

    def refuse_dtd(self, *args) -> None:
        raise Unreadable("dtd")

    def add(self, text: str) -> None:
        if not self.is_full():
            self.parts.append(text)
            self.size += len(text)

    def start(self, name: str, attributes) -> None:
        if name == WORD_NS + "t":
            self.in_text = True
        elif name in (WORD_NS + "tab", WORD_NS + "br", WORD_NS + "cr"):
            self.add("\t" if name.endswith("tab") else "\n")

    def end(self, name: str) -> None:
        if name == WORD_NS + "t":
            self.in_text = False
        elif name == WORD_NS + "p":
            self.add("\n")

    def characters(self, data: str) -> None:
        if self.in_text:
            self.add(data)


def limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap this process's address space and CPU time (a backstop should the worker die)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def main(argv: list[str]) -> int:
    kind, max_pages, max_chars, memory_bytes, cpu_seconds = argv
    limit_resources(int(memory_bytes), int(cpu_seconds))
    data = sys.stdin.buffer.read()
    try:
        text = read_text(data, kind, max_pages=int(max_pages), max_chars=int(max_chars))
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except Exception:  # any parser failure is "unreadable"; its message may quote the file
        return EXIT_UNREADABLE
    sys.stdout.buffer.write(text.encode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
