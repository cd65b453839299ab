from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email

from leads.models import Lead
from leads.tests import documents
from leads.tests.checkers import idle_checkers_stopped
from leads.tests.documents import MINIMAL_PDF
from leads.validators import (
    ResumeChecker,
    clean_referrer,
    clean_source,
    email_key,
    validate_email_address,
    validate_name,
    validate_plain_text,
    validate_resume,
)


def upload(content: bytes, name: str = "resume.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.parametrize(
    ("content", "kind"),
    [(MINIMAL_PDF, "pdf"), (documents.word_doc(), "doc"), (documents.docx(), "docx")],
    ids=["pdf", "doc", "docx"],
)
def test_resume_kind_is_read_from_the_content(content, kind):
    assert validate_resume(upload(content, name="whatever.txt")) == kind


def test_zip_without_a_word_document_is_not_a_docx():
    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(documents.docx(document=False), name="cv.docx"))

    assert caught.value.code == "invalid_type"


def test_text_named_pdf_is_refused_whatever_its_name_and_content_type():
    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(b"just some text, honestly", name="resume.pdf"))

    assert caught.value.code == "invalid_type"


def test_png_is_refused():
    with pytest.raises(ValidationError):
        validate_resume(upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="resume.png"))


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(b""))

    assert caught.value.code == "empty"


def test_file_over_the_limit_is_refused_with_both_sizes_in_the_message(settings):
    settings.RESUME_MAX_BYTES = 100

    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(MINIMAL_PDF + b"x" * 200))

    assert caught.value.code == "too_large"
    assert "100\xa0bytes" in caught.value.messages[0]


def test_file_at_the_limit_is_accepted(settings):
    settings.RESUME_MAX_BYTES = len(MINIMAL_PDF)

    assert validate_resume(upload(MINIMAL_PDF)) == "pdf"


@pytest.mark.parametrize(
    ("content", "kind"),
    [(MINIMAL_PDF, "pdf"), (documents.word_doc(), "doc"), (documents.docx(), "docx")],
    ids=["pdf", "doc", "docx"],
)
def test_a_real_small_document_of_each_kind_is_accepted(content, kind):
    assert validate_resume(upload(content, name="cv")) == kind


HOSTILE = {
    "encrypted pdf": (documents.encrypted_pdf, "encrypted", "password-protected"),
    "javascript pdf": (documents.javascript_pdf, "active_content", "scripts or launch actions"),
    "page javascript pdf": (documents.page_action_javascript_pdf, "active_content", "scripts"),
    "launch pdf": (documents.launch_pdf, "active_content", "launch actions"),
    "garbage after %PDF-": (documents.garbage_pdf, "unreadable", "could not be read as a PDF"),
    "doc without WordDocument": (documents.ole_without_word_document, "invalid_type", "PDF, DOC or DOCX"),
    "encrypted doc": (documents.encrypted_doc, "encrypted", "password-protected"),
    "encrypted docx": (documents.encrypted_docx, "encrypted", "password-protected"),
    "macro doc": (documents.macro_doc, "macros", "macros are not accepted"),
    "macro docx": (documents.macro_docx, "macros", "macros are not accepted"),
    "zip with too many members": (lambda: documents.many_members_docx(1001), "zip_bomb", "unpacks to far"),
}
PDF_MEDIA = "video, sound or 3D content"
ACTIVE_PDF = {
    "xfa form": (documents.xfa_pdf, "xfa_form", "XFA forms"),
    "link to another file (GoToR)": (
        lambda: documents.link_pdf("GoToR", F="other.pdf"),
        "remote_action",
        "links that open other files",
    ),
    "link into an embedded file (GoToE)": (
        lambda: documents.link_pdf("GoToE", NewWindow="true"),
        "remote_action",
        "links that open other files",
    ),
    "SubmitForm action": (
        lambda: documents.link_pdf("SubmitForm", F="https://collect.example/"),
        "form_data_action",
        "forms that send or fetch data",
    ),
    "ImportData action": (
        lambda: documents.link_pdf("ImportData", F="data.fdf"),
        "form_data_action",
        "forms that send or fetch data",
    ),
    "attached file": (documents.embedded_file_pdf, "embedded_files", "attached or embedded files"),
    "file attachment annotation": (
        documents.file_attachment_pdf,
        "embedded_files",
        "attached or embedded files",
    ),
    "RichMedia annotation": (lambda: documents.media_pdf("RichMedia"), "rich_media", PDF_MEDIA),
    "Screen annotation": (lambda: documents.media_pdf("Screen"), "rich_media", PDF_MEDIA),
    "Movie annotation": (lambda: documents.media_pdf("Movie"), "rich_media", PDF_MEDIA),
    "Sound annotation": (lambda: documents.media_pdf("Sound"), "rich_media", PDF_MEDIA),
    "3D annotation": (lambda: documents.media_pdf("3D"), "rich_media", PDF_MEDIA),
    "Rendition action": (lambda: documents.link_pdf("Rendition"), "rich_media", PDF_MEDIA),
}
ELSEWHERE = "load content from elsewhere"
OBJECTS = "embedded objects"
DDE = "fields that start other programs"
DDE_SIMPLE = (
    f'<w:p><w:fldSimple w:instr=" DDEAUTO {escape(documents.DDE_COMMAND, {chr(34): "&quot;"})} "/></w:p>'
)
ACTIVE_DOCX = {
    "remote template": (documents.remote_template_docx, "external_content", ELSEWHERE),
    "remote frame": (
        lambda: documents.docx_with_relationships(("frame", "https://x.example/f.html", True)),
        "external_content",
        ELSEWHERE,
    ),
    "remote subdocument": (
        lambda: documents.docx_with_relationships(("subDocument", "https://x.example/s.docx", True)),
        "external_content",
        ELSEWHERE,
    ),
    "remote image": (
        lambda: documents.docx_with_relationships(("image", "https://x.example/pixel.png", True)),
        "external_content",
        ELSEWHERE,
    ),
    "embedded object part": (
        lambda: documents.docx(extra={"word/embeddings/oleObject1.bin": documents.word_doc()}),
        "ole_objects",
        OBJECTS,
    ),
    "oleObject relationship": (
        lambda: documents.docx_with_relationships(("oleObject", "embeddings/oleObject1.bin", False)),
        "ole_objects",
        OBJECTS,
    ),
    "w:object in the text": (
        lambda: documents.docx_with_body("<w:p><w:r><w:object/></w:r></w:p>"),
        "ole_objects",
        OBJECTS,
    ),
    "w:altChunk in the text": (
        lambda: documents.docx_with_body("<w:altChunk/>"),
        "alt_chunk",
        "content imported from other files",
    ),
    "aFChunk relationship": (
        lambda: documents.docx_with_relationships(("aFChunk", "afchunk.htm", False)),
        "alt_chunk",
        "content imported from other files",
    ),
    "DDEAUTO in a simple field": (lambda: documents.docx_with_body(DDE_SIMPLE), "dde_fields", DDE),
    "DDEAUTO split over runs": (
        lambda: documents.docx_with_body(documents.complex_field(" DD", "EAUTO ", documents.DDE_COMMAND)),
        "dde_fields",
        DDE,
    ),
    "dde in lower case": (
        lambda: documents.docx_with_body(documents.complex_field(" dde ", documents.DDE_COMMAND)),
        "dde_fields",
        DDE,
    ),
    "DDE in a header": (
        lambda: documents.docx(
            extra={"word/header1.xml": documents.docx_with_body_xml(documents.complex_field(" DDE excel"))}
        ),
        "dde_fields",
        DDE,
    ),
}


@pytest.mark.parametrize(("build", "code", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_resumes_are_refused_with_a_message_saying_why(build, code, message):
    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(build(), name="cv.pdf"))

    assert caught.value.code == code
    assert message in caught.value.messages[0]


@pytest.mark.parametrize(("build", "code", "message"), ACTIVE_PDF.values(), ids=ACTIVE_PDF.keys())
def test_pdfs_with_active_content_are_refused_each_with_its_reason(build, code, message):
    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(build(), name="cv.pdf"))

    assert caught.value.code == code
    assert message in caught.value.messages[0]


@pytest.mark.parametrize(("build", "code", "message"), ACTIVE_DOCX.values(), ids=ACTIVE_DOCX.keys())
def test_word_documents_with_active_content_are_refused_each_with_its_reason(build, code, message):
    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(build(), name="cv.docx"))

    assert caught.value.code == code
    assert message in caught.value.messages[0]


PLAIN = {
    "pdf with a web link": (lambda: documents.link_pdf("URI", URI="https://www.linkedin.com/in/jane"), "pdf"),
    "pdf with a link to its own page": (documents.opens_at_first_page_pdf, "pdf"),
    "docx with a LinkedIn hyperlink": (documents.linkedin_docx, "docx"),
    "docx with a picture of its own": (
        lambda: documents.docx_with_relationships(("image", "media/image1.png", False)),
        "docx",
    ),
    "docx with a page number field": (
        lambda: documents.docx_with_body(documents.complex_field(" PAGE ")),
        "docx",
    ),
    "docx with a hyperlink field": (
        lambda: documents.docx_with_body(documents.complex_field(' HYPERLINK "https://example.com/" ')),
        "docx",
    ),
}


@pytest.mark.parametrize(("build", "kind"), PLAIN.values(), ids=PLAIN.keys())
def test_links_pictures_and_ordinary_fields_are_accepted(build, kind):
    assert validate_resume(upload(build(), name="cv")) == kind


def test_zip_bomb_is_refused_from_its_declared_sizes(settings):
    settings.RESUME_MAX_BYTES = 1024 * 1024  # packages may inflate to 10 MiB
    bomb = documents.zip_bomb(11 * 1024 * 1024)

    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(bomb, name="cv.docx"))

    assert len(bomb) < 100_000 and caught.value.code == "zip_bomb"


def test_a_pdf_whose_open_action_only_shows_a_page_is_accepted():
    assert validate_resume(upload(documents.opens_at_first_page_pdf())) == "pdf"


def test_checking_leaves_the_file_at_its_start():
    file = upload(MINIMAL_PDF)

    validate_resume(file)

    assert file.read(5) == b"%PDF-"


@pytest.mark.parametrize("name", ["José", "O'Brien", "Nguyễn Thị", "Anne-Marie", "李"])
def test_real_names_are_plain_text(name):
    validate_plain_text(name)


@pytest.mark.parametrize(
    "name", ["Eve\r\nBcc: victim@example.com", "Eve\nX", "Eve\x00", "Eve\u202egnp.exe", "Eve\u2028X"]
)
def test_control_and_formatting_characters_are_refused(name):
    with pytest.raises(ValidationError):
        validate_plain_text(name)


@pytest.mark.parametrize(
    "name", ["See https://evil.example", "www.evil.example", "Eve@evil.example", "HTTP://X", "WWW.X"]
)
def test_a_name_carrying_a_link_or_an_address_is_refused(name):
    with pytest.raises(ValidationError) as caught:
        validate_name(name)

    assert caught.value.code == "link"


@pytest.mark.parametrize("name", ["=?utf-8?b?aHR0cHM6Ly9ldmlsLmV4YW1wbGU=?=", "Eve =?UTF-8?Q?x?=", "a=?b"])
def test_a_name_carrying_a_mime_encoded_word_is_refused(name):
    with pytest.raises(ValidationError) as caught:
        validate_name(name)

    assert caught.value.code == "encoded_word"


@pytest.mark.parametrize("name", ["José", "O'Brien", "Anne-Marie", "Dr. Smith", "St. John", "A=B", "Why?"])
def test_real_names_pass_the_name_rule(name):
    validate_name(name)


def test_a_name_with_a_line_break_fails_the_name_rule_too():
    with pytest.raises(ValidationError):
        validate_name("Eve\nBcc: x")


# The spellings of issue 23: each looked new to the one-lead rule and reached one mailbox.
HIDDEN = {
    "soft hyphen": "victim@exa\u00admple.org",
    "zero-width space": "victim@example\u200b.org",
    "word joiner": "victim@e\u2060xample.org",
    "control character in a quoted local part": '"a\x01b"@example.com',
    "byte order mark": "\ufeffvictim@example.org",
}


@pytest.mark.parametrize("address", HIDDEN.values(), ids=HIDDEN.keys())
def test_an_email_with_a_control_or_invisible_character_is_refused(address):
    with pytest.raises(ValidationError) as caught:
        validate_email_address(address)

    assert caught.value.code == "hidden_characters"


@pytest.mark.parametrize(
    "address",
    ["x@\ue000xample.org", f"x@{'é' * 60}.org"],
    ids=["character nameprep prohibits", "label too long once encoded"],
)
def test_an_email_whose_domain_sending_cannot_encode_is_invalid(address):
    validate_email(address)  # Django's own validator lets it through

    with pytest.raises(ValidationError) as caught:
        validate_email_address(address)

    assert caught.value.code == "invalid"


@pytest.mark.parametrize(
    "address",
    ["jane@example.com", "Jane.O'Brien+cases@Example.COM", "jane@éxample.com", "jane@\uff45xample.org"],
)
def test_real_addresses_pass_the_email_rule(address):
    validate_email_address(address)


def test_an_address_django_refuses_gets_one_message_from_the_model_field():
    with pytest.raises(ValidationError) as caught:
        Lead._meta.get_field("email").clean("jane@..example.com", None)

    assert caught.value.messages == ["Enter a valid email address."]


# Issue 23's spellings of victim@example.org, each of which made a lead of its own.
SPELLINGS = {
    "soft hyphen": "victim@exa\u00admple.org",
    "zero-width space": "victim@example\u200b.org",
    "word joiner": "victim@e\u2060xample.org",
    "fullwidth e": "victim@\uff45xample.org",
    "letter case and spaces": " Victim@EXAMPLE.org ",
}


@pytest.mark.parametrize("address", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_every_spelling_of_one_mailbox_has_one_key(address):
    assert email_key(address) == "victim@example.org"


def test_a_non_ascii_domain_is_keyed_by_its_idna_form():
    assert email_key("jane@Éxample.com") == email_key("JANE@xn--xample-9ua.com") == "jane@xn--xample-9ua.com"


def test_a_local_part_is_keyed_in_nfc():
    assert (
        email_key("jose\u0301@example.com") == email_key("jos\u00e9@example.com") == "jos\u00e9@example.com"
    )


@pytest.mark.parametrize("address", ["x@\ue000xample.org", "no at sign", "", "a@"])
def test_the_key_of_anything_typed_is_found_without_an_error(address):
    assert email_key(address) == address.strip().lower()


@pytest.mark.django_db
@pytest.mark.parametrize("address", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_the_key_is_the_mailbox_sending_reaches(smtp, address):
    send_mail("Hello", "Hello", "firm@example.com", [address])

    [(recipients, _)] = smtp.messages
    assert [email_key(address)] == [recipient.lower() for recipient in recipients]


def test_source_of_plain_text_is_kept_stripped():
    assert clean_source("  newsletter ") == "newsletter"


def test_source_over_100_characters_is_dropped():
    assert clean_source("x" * 101) == ""
    assert clean_source("x" * 100) == "x" * 100


def test_source_with_a_line_break_is_dropped():
    assert clean_source("google\r\nSet-Cookie: a=b") == ""


def test_http_referrer_is_kept():
    assert clean_referrer("https://example.org/blog?post=1") == "https://example.org/blog?post=1"


@pytest.mark.parametrize(
    "value",
    ["javascript:alert(1)", "not a url", "ftp://example.org/", "https://example.org/" + "a" * 500],
)
def test_referrer_that_is_not_a_short_http_url_is_dropped(value):
    assert clean_referrer(value) == ""


# --- Bounds: whatever its structure, a file costs bounded time and memory to check ------------

TOO_COMPLEX = (
    "This PDF is too complex for us to check. Save it again (for example with Print to PDF) and "
    "upload the new copy."
)


def test_the_reviews_reference_chain_is_refused_as_too_complex():
    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(documents.review_chain_pdf()))

    assert caught.value.code == "too_complex"
    assert caught.value.messages == [TOO_COMPLEX]


def test_a_chain_that_fits_in_memory_is_stopped_by_the_time_bound(settings):
    settings.RESUME_CHECK_MEMORY_MB = 4096  # far more than the chain needs: time stops it
    settings.RESUME_CHECK_SECONDS = 0.2

    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(documents.reference_chain_pdf(arrays=12, references=100_000)))

    assert caught.value.code == "too_complex"


def test_a_small_chain_is_stopped_by_the_memory_bound(settings):
    settings.RESUME_CHECK_MEMORY_MB = 16  # 3 arrays of 100,000 references need ~30 MiB
    settings.RESUME_CHECK_SECONDS = 60  # time never stops it

    with pytest.raises(ValidationError) as caught:
        validate_resume(upload(documents.reference_chain_pdf(arrays=3, references=100_000)))

    assert caught.value.code == "too_complex"


def test_a_checker_that_does_not_answer_is_a_refusal_and_the_next_file_gets_a_new_one(settings):
    settings.RESUME_CHECK_SECONDS = 0.5  # waited for 2.5 s
    validate_resume(upload(MINIMAL_PDF))  # an idle checker exists

    with idle_checkers_stopped(), pytest.raises(ValidationError) as caught:
        validate_resume(upload(MINIMAL_PDF))

    assert caught.value.code == "too_complex"
    assert validate_resume(upload(MINIMAL_PDF)) == "pdf"


def test_a_checker_that_died_while_idle_is_replaced():
    validate_resume(upload(MINIMAL_PDF))
    for checker in ResumeChecker.idle:
        checker.process.kill()
        checker.process.wait()

    assert validate_resume(upload(MINIMAL_PDF)) == "pdf"


def test_a_refused_file_leaves_the_checker_that_ran_out_of_bounds_stopped():
    validate_resume(upload(MINIMAL_PDF))
    before = {checker.process.pid for checker in ResumeChecker.idle}

    with pytest.raises(ValidationError):
        validate_resume(upload(documents.reference_chain_pdf(arrays=12, references=100_000)))

    still_running = {pid for pid in before if Path(f"/proc/{pid}").exists()}
    assert len(still_running) == len(before) - 1
