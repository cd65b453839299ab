import uuid
from pathlib import Path

import pytest
from django.db import IntegrityError, connection
from django.db.models import F

from leads import services
from leads.models import Lead
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_lead_primary_key_is_a_uuid4():
    assert LeadFactory().pk.version == 4


def test_new_lead_is_pending_and_not_reached_out():
    lead = LeadFactory()

    assert lead.status == Lead.Status.PENDING
    assert lead.reached_out_at is None and lead.reached_out_by is None
    assert lead.created_at is not None and lead.updated_at is not None
    assert lead.source == "" and lead.referrer == ""


def test_email_in_another_letter_case_is_a_duplicate():
    LeadFactory(email="jane@example.com")

    with pytest.raises(IntegrityError):
        LeadFactory(email="Jane@EXAMPLE.com")


def test_email_is_stored_as_entered():
    lead = LeadFactory(email="Jane.Doe@Example.com")

    assert Lead.objects.get(pk=lead.pk).email == "Jane.Doe@Example.com"


def test_unknown_status_is_refused_by_the_database():
    lead = LeadFactory()

    with pytest.raises(IntegrityError):
        Lead.objects.filter(pk=lead.pk).update(status="LOST")


def test_resume_is_stored_under_a_random_name_not_the_clients():
    lead = LeadFactory()
    other = LeadFactory()

    name = Path(lead.resume.name)
    assert name.parent == Path("resumes")
    assert uuid.UUID(name.stem).hex == name.stem
    assert name.suffix == ".pdf"
    assert lead.resume.name != other.resume.name
    assert Path(lead.resume.path).is_file()


@pytest.mark.parametrize(
    ("name", "columns", "unique"),
    [
        ("lead_status_idx", ["status"], False),
        ("lead_created_idx", ["created_at", "id"], False),
        ("lead_status_created_idx", ["status", "created_at", "id"], False),
        ("lead_email_key_unique", ["email_key"], True),
    ],
)
def test_lead_table_has_the_index(name, columns, unique):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Lead._meta.db_table)

    assert name in constraints
    assert constraints[name]["unique"] is unique
    if columns:
        assert constraints[name]["columns"] == columns


def test_status_history_is_deleted_with_its_lead(attorney):
    lead = LeadFactory()
    services.reach_out(lead=lead, by=attorney)

    lead.delete()

    assert not lead.status_changes.model.objects.exists()


def test_deleting_the_attorney_keeps_the_lead_and_history(attorney):
    lead = LeadFactory()
    services.reach_out(lead=lead, by=attorney)

    attorney.delete()

    lead.refresh_from_db()
    assert lead.reached_out_by is None and lead.reached_out_at is not None
    assert lead.status_changes.filter(changed_by__isnull=True).count() == 1


def test_updated_at_moves_on_save():
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(updated_at=F("created_at"))
    lead.refresh_from_db()
    before = lead.updated_at

    lead.first_name = "Renamed"
    lead.save()

    assert lead.updated_at > before
