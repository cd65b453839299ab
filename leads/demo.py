"""Demo data for seed_leads, the benchmarks and the tests' documents: a real, parseable PDF
(one page, a line of text) and resume-like texts to search."""

import io
import random

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


TITLES = [
    "Paralegal", "Litigation associate", "Corporate counsel", "Legal assistant", "Compliance analyst",
    "Contracts manager", "Immigration paralegal", "Patent agent", "Law clerk", "Legal secretary",
    "Trial attorney", "Claims adjuster", "Privacy officer", "Real estate paralegal", "Docket clerk",
]  # fmt: skip
PRACTICE_AREAS = [
    "litigation", "corporate law", "intellectual property", "patents", "trademarks", "employment law",
    "family law", "immigration", "real estate", "estate planning", "bankruptcy", "tax law",
    "personal injury", "insurance defense", "environmental law", "antitrust", "securities",
    "mergers and acquisitions", "criminal defense", "data privacy", "healthcare compliance",
]  # fmt: skip
SKILLS = [
    "legal research", "Westlaw", "LexisNexis", "e-discovery", "Relativity", "document review",
    "contract drafting", "deposition preparation", "case management", "Clio", "billing",
    "client intake", "due diligence", "regulatory filings", "trial preparation", "negotiation",
    "Microsoft Office", "Spanish", "French", "Mandarin", "GDPR", "HIPAA", "SEC reporting",
    "machine learning", "data analysis", "project management", "mediation", "court filings",
    "legal writing", "subpoenas", "medical records review", "title searches", "notary public",
]  # fmt: skip
EMPLOYERS = [
    "Baker & Finch LLP", "Morrison Hale", "Carter Legal Group", "Northwind Insurance", "Acme Corporation",
    "City of Springfield", "Harbor Health", "Summit Bank", "Greenleaf Realty", "Orion Technologies",
    "the Public Defender's Office", "Blue Ridge Title", "Pioneer Logistics", "Keystone Partners",
]  # fmt: skip
SCHOOLS = [
    "State University", "City College", "Westbrook Law School", "Lakeside Community College",
    "Northern Institute of Technology", "Hillcrest University",
]  # fmt: skip
VERBS = ["Managed", "Drafted", "Prepared", "Coordinated", "Reviewed", "Supported", "Researched", "Organized"]
OBJECTS = [
    "discovery for complex commercial cases", "closing binders for real estate transactions",
    "patent applications and office action responses", "client files and court deadlines",
    "vendor contracts and renewals", "immigration petitions and visa paperwork",
    "settlement negotiations with opposing counsel", "a caseload of 40 active matters",
    "compliance audits across three states", "deposition summaries and exhibits",
]  # fmt: skip
# Each word appears in about one resume in RARE_RATE: a search for one is a needle in a haystack.
RARE_WORDS = ["falconry", "heliography", "zymurgy", "paleography", "bookbinding", "glassblowing"]
RARE_RATE = 5_000


def demo_resume_text(rng: random.Random) -> str:
    """A resume-like text of 60-120 words: title, practice areas, employers, skills."""
    areas = rng.sample(PRACTICE_AREAS, 2)
    lines = [
        f"{rng.choice(TITLES)} with {rng.randint(1, 25)} years of experience in {areas[0]} and {areas[1]}.",
        "Experience",
    ]
    for employer in rng.sample(EMPLOYERS, rng.randint(1, 3)):
        lines.append(f"{employer}, {rng.randint(1995, 2025)}: {rng.choice(VERBS)} {rng.choice(OBJECTS)}.")
    lines.append(f"Skills: {', '.join(rng.sample(SKILLS, rng.randint(4, 8)))}.")
    lines.append(f"Education: {rng.choice(SCHOOLS)}.")
    if rng.randrange(RARE_RATE // len(RARE_WORDS)) == 0:
        lines.append(f"Interests: {rng.choice(RARE_WORDS)}.")
    return "\n".join(lines)
