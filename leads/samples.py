"""A real, parseable PDF for demo data and benchmarks (seed_leads, bench/) and the tests'
document fixtures (leads/tests/documents.py): one page with a line of text."""

import io

from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject


def sample_pdf(text: str = "Resume", *, padding: int = 0) -> bytes:
    """A one-page PDF (Helvetica) showing `text`; `padding` bytes of comment make it larger."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = ContentStream(None, None)
    content.set_data(f"BT /F1 14 Tf 72 720 Td ({escaped}) Tj ET\n".encode("latin-1") + b"%" * padding)
    page.replace_contents(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
