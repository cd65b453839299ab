import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django_tasks_db.models import DBTaskResult

from leads import services
from leads.models import Lead
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def resume(content: bytes = MINIMAL_PDF, name: str = "Jane Doe CV.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def submit(**overrides) -> Lead:
    fields = {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "resume": resume()}
    return services.submit_lead(**{**fields, **overrides})


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_submitted_lead_is_pending_with_its_details():
    lead = submit(first_name=" Jane ", source="newsletter", referrer="https://example.org/")

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == Lead.Status.PENDING
    assert (lead.first_name, lead.last_name, lead.email) == ("Jane", "Doe", "jane@example.com")
    assert (lead.source, lead.referrer) == ("newsletter", "https://example.org/")


def test_resume_is_stored_under_a_random_name_with_its_content(settings):
    lead = submit()

    [path] = stored_files(settings)
    assert path.read_bytes() == MINIMAL_PDF
    assert "Jane" not in lead.resume.name and "CV" not in lead.resume.name
    assert lead.resume.name.startswith("resumes/") and lead.resume.name.endswith(".pdf")


def test_extension_follows_the_content_not_the_clients_name():
    lead = submit(resume=resume(name="cv.exe"))

    assert lead.resume.name.endswith(".pdf")


def test_duplicate_email_in_another_case_is_refused_on_the_email_field(settings):
    submit(email="jane@example.com")

    with pytest.raises(ValidationError) as caught:
        submit(email="JANE@EXAMPLE.COM")

    assert caught.value.message_dict == {"email": ["A lead with this email already exists."]}
    assert Lead.objects.count() == 1
    assert len(stored_files(settings)) == 1


def test_bad_resume_is_refused_and_nothing_is_stored(settings):
    with pytest.raises(ValidationError):
        submit(resume=resume(b"GIF89a not a resume"))

    assert Lead.objects.count() == 0
    assert stored_files(settings) == []


def test_the_lead_and_one_task_for_the_worker_are_written_together(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead = submit()

    # Queued in the lead's own transaction, not after it: no callback waits for the commit.
    assert callbacks == []
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "leads.worker.fanout.process_application"
    assert task.args_kwargs["args"][0]["lead_id"] == str(lead.pk)


def test_a_lead_whose_transaction_rolls_back_leaves_no_task(settings):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit()
        raise RuntimeError("the caller's transaction fails after the INSERTs")

    assert Lead.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_insert_losing_a_race_removes_its_stored_file_and_says_duplicate(settings):
    # A rival transaction inserts the same email and commits only once submit_lead has
    # passed its early check and stored the file (the second file on disk). The INSERT
    # then meets the unique index: the file must go and the answer be "duplicate".
    inserted, outcome = threading.Event(), {}

    def rival():
        try:
            with transaction.atomic():
                outcome["rival"] = LeadFactory(email="Jane@example.com")  # stores file one
                inserted.set()
                deadline = time.monotonic() + 10
                while len(stored_files(settings)) < 2 and time.monotonic() < deadline:
                    time.sleep(0.01)
                outcome["files_before_commit"] = len(stored_files(settings))
        finally:
            connections.close_all()

    thread = threading.Thread(target=rival)
    thread.start()
    inserted.wait(10)
    with pytest.raises(ValidationError) as caught:
        submit(email="jane@example.com")
    thread.join()

    assert outcome["files_before_commit"] == 2  # the race happened: both files were stored
    assert caught.value.message_dict == {"email": ["A lead with this email already exists."]}
    assert list(Lead.objects.values_list("pk", flat=True)) == [outcome["rival"].pk]
    assert [p.name for p in stored_files(settings)] == [Path(outcome["rival"].resume.name).name]
