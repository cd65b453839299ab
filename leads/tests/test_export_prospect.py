"""The prospect's copy: export_prospect and the superuser's admin action write lead.json and
every resume file, and the export is on the timeline."""

import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leads import selectors, services
from leads.models import Lead
from leads.tests.factories import LeadFactory, ResubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(attorney):
    lead = LeadFactory(email="ada@example.com", first_name="Ada")
    ResubmissionFactory(lead=lead)
    services.add_note(lead=lead, author=attorney, body="Called back")
    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict")
    return lead


def test_the_copy_holds_the_lead_json_and_every_resume(lead, tmp_path):
    output = tmp_path / "copy.zip"

    call_command("export_prospect", "ADA@example.com", "--output", str(output), stdout=StringIO())

    with zipfile.ZipFile(output) as archive:
        names = sorted(archive.namelist())
        data = json.loads(archive.read("lead.json"))
        assert archive.read("resume.pdf").startswith(b"%PDF")
    assert names == ["lead.json", "resubmission-1.pdf", "resume.pdf"]
    assert data["lead"]["first_name"] == "Ada"
    assert [note["body"] for note in data["notes"]] == ["Called back"]
    assert data["status_changes"][0]["to"] == "DECLINED"
    assert len(data["resubmissions"]) == 1


def test_the_export_is_on_the_timeline(lead, tmp_path):
    call_command("export_prospect", "ada@example.com", "--output", str(tmp_path / "c.zip"), stdout=StringIO())

    assert selectors.timeline(lead).events[-1].type == "exported"


def test_a_dry_run_says_what_and_writes_nothing(lead, tmp_path):
    out = StringIO()
    output = tmp_path / "copy.zip"

    call_command("export_prospect", "ada@example.com", "--output", str(output), "--dry-run", stdout=out)

    assert "resume files" in out.getvalue()
    assert not output.exists()
    assert not lead.events.exists()


def test_an_unknown_address_writes_nothing(db, tmp_path):
    out = StringIO()
    output = tmp_path / "copy.zip"

    call_command("export_prospect", "nobody@example.com", "--output", str(output), stdout=out)

    assert "Nothing on file" in out.getvalue()
    assert not output.exists()


def test_an_existing_file_is_never_overwritten(lead, tmp_path):
    output = tmp_path / "copy.zip"
    output.write_bytes(b"keep")

    with pytest.raises(CommandError):
        call_command("export_prospect", "ada@example.com", "--output", str(output), stdout=StringIO())

    assert output.read_bytes() == b"keep"


def test_a_trashed_lead_is_exported_too(lead, tmp_path):
    services.trash_leads(leads=Lead.objects.filter(pk=lead.pk), by=None)
    output = tmp_path / "copy.zip"

    call_command("export_prospect", "ada@example.com", "--output", str(output), stdout=StringIO())

    assert output.exists()


def test_superusers_export_from_the_admin(lead, admin_client):
    response = admin_client.post(
        "/admin/leads/lead/?state=all",
        {"action": "export_prospect_copy", "_selected_action": [str(lead.pk)], "index": "0"},
    )

    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "lead.json" in archive.namelist()


def test_attorneys_are_not_offered_the_export(lead, attorney_client):
    body = attorney_client.get("/admin/leads/lead/").content.decode()

    assert "export_prospect_copy" not in body
