"""purge_leads: the retention job deletes old leads, their files and history, nothing else."""

import os
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from leads import services
from leads.models import Lead, StatusChange, TrappedSubmission
from leads.tests.factories import MINIMAL_PDF, LeadFactory, TrappedSubmissionFactory
from leads.tests.mail import run_worker
from leads.tests.traces import needles_for, rows_mentioning, stored_files

# The files go in the worker, after the delete committed: tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def purge():
    """Run the command, then the worker (which removes the files) before this returns."""

    def run(*args: str) -> str:
        out = StringIO()
        call_command("purge_leads", *args, stdout=out, stderr=StringIO())
        run_worker()
        return out.getvalue()

    return run


def test_purge_deletes_leads_older_than_the_given_days(purge):
    old = LeadFactory(created_at=days_ago(400))
    recent = LeadFactory(created_at=days_ago(10))

    purge("--older-than", "365")

    assert not Lead.objects.filter(pk=old.pk).exists()
    assert Lead.objects.filter(pk=recent.pk).exists()


def test_purge_says_how_many_it_deleted(purge):
    LeadFactory.create_batch(3, created_at=days_ago(40))

    assert "Deleted 3 leads older than 30 days." in purge("--older-than", "30")


def test_purge_removes_the_resume_files(settings, purge):
    old = LeadFactory(created_at=days_ago(40))
    stored = Path(settings.MEDIA_ROOT) / old.resume.name
    assert stored.exists()

    purge("--older-than", "30")

    assert not stored.exists()


def test_purge_removes_the_status_history(attorney, purge):
    old = LeadFactory(created_at=days_ago(40))
    services.reach_out(lead=old, by=attorney)

    purge("--older-than", "30")

    assert not StatusChange.objects.filter(lead_id=old.pk).exists()


def test_purge_with_a_status_keeps_leads_in_other_statuses(attorney, purge):
    pending = LeadFactory(created_at=days_ago(40))
    reached = LeadFactory(created_at=days_ago(40))
    services.reach_out(lead=reached, by=attorney)

    purge("--older-than", "30", "--status", "REACHED_OUT")

    assert list(Lead.objects.values_list("pk", flat=True)) == [pending.pk]
    assert not Lead.objects.filter(pk=reached.pk).exists()


def test_purge_works_through_more_leads_than_one_batch(purge):
    LeadFactory.create_batch(5, created_at=days_ago(40))

    purge("--older-than", "30", "--batch-size", "2")

    assert Lead.objects.count() == 0


def test_dry_run_counts_and_deletes_nothing(settings, purge):
    old = LeadFactory.create_batch(2, created_at=days_ago(40))

    output = purge("--older-than", "30", "--dry-run")

    assert "Would delete 2 leads older than 30 days" in output
    assert Lead.objects.count() == 2
    assert (Path(settings.MEDIA_ROOT) / old[0].resume.name).exists()


def test_after_a_purge_no_row_or_file_mentions_the_prospect(client, attorney_client, settings, purge):
    for email in ["ada@example.com", "Ada@Example.com"]:  # an application, then a resubmission
        resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
        client.post("/", {"first_name": "Ada", "last_name": "Byron", "email": email, "resume": resume})
    run_worker()
    lead = Lead.objects.get()
    attorney_client.get(f"/admin/leads/lead/{lead.pk}/resume/")
    Lead.objects.filter(pk=lead.pk).update(created_at=days_ago(40))

    purge("--older-than", "30")

    assert rows_mentioning(*needles_for(lead)) == {}
    assert stored_files(settings.MEDIA_ROOT) == []


def test_purge_deletes_trapped_submissions_older_than_seven_days_with_their_files(settings, purge):
    old = TrappedSubmissionFactory(created_at=days_ago(8))
    young = TrappedSubmissionFactory(created_at=days_ago(6))

    output = purge("--older-than", "365")

    assert list(TrappedSubmission.objects.values_list("pk", flat=True)) == [young.pk]
    assert not (Path(settings.MEDIA_ROOT) / old.resume.name).exists()
    assert (Path(settings.MEDIA_ROOT) / young.resume.name).exists()
    assert "Deleted 1 trapped submissions older than 7 days." in output


def orphan(*, age: timedelta) -> Path:
    """A file in the resume folder that no row refers to, last modified `age` ago."""
    path = Path(default_storage.path(default_storage.save("resumes/orphan.pdf", ContentFile(b"%PDF-1.4"))))
    moment = (timezone.now() - age).timestamp()
    os.utime(path, (moment, moment))
    return path


def test_purge_removes_files_no_row_refers_to_once_a_day_old(settings, purge):
    old, young = orphan(age=timedelta(hours=25)), orphan(age=timedelta(hours=23))

    output = purge("--older-than", "365")

    assert not old.exists()
    assert young.exists()  # may belong to a submission still being saved
    assert "Removed 1 orphaned files." in output


def test_purge_keeps_old_files_rows_refer_to(settings, purge):
    kept = [Path(LeadFactory().resume.path), Path(TrappedSubmissionFactory().resume.path)]
    for path in kept:
        os.utime(path, (0, 0))

    purge("--older-than", "365")

    assert all(path.exists() for path in kept)


def test_purge_keeps_the_file_of_a_submission_waiting_for_the_worker(client, settings):
    resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
    client.post(
        "/", {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "resume": resume}
    )
    Lead.objects.all().delete()  # as if the form had answered a known address: only the task has it
    [path] = [p for p in Path(settings.MEDIA_ROOT).rglob("*.pdf")]
    os.utime(path, (0, 0))

    call_command("purge_leads", "--older-than", "365", stdout=StringIO())

    assert path.exists()


def test_dry_run_counts_orphans_and_removes_none(settings, purge):
    path = orphan(age=timedelta(days=2))

    output = purge("--older-than", "30", "--dry-run")

    assert "Would remove 1 orphaned files (dry run)." in output
    assert path.exists()


def test_zero_days_is_refused_so_a_typo_cannot_empty_the_table(purge):
    LeadFactory(created_at=days_ago(40))

    with pytest.raises(CommandError):
        purge("--older-than", "0")
    assert Lead.objects.count() == 1


def test_an_unknown_status_is_refused(purge):
    with pytest.raises(CommandError):
        purge("--older-than", "30", "--status", "LOST")


def test_purge_exits_with_status_one_on_bad_arguments(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "manage.py", "purge_leads", "--older-than", "0"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"},
        timeout=60,
    )

    assert result.returncode == 1
    assert "at least 1 day" in result.stderr
