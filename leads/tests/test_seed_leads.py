"""seed_leads: realistic demo data, one shared resume, safe to delete from."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from django.db.models.functions import Lower

from accounts.models import User
from leads import services
from leads.management.commands.seed_leads import SEED_RESUME_NAME
from leads.models import Lead, StatusChange
from leads.tests.mail import run_worker
from leads.validators import email_key

pytestmark = pytest.mark.django_db


def seed(count: int, stderr=None, **options) -> str:
    out = StringIO()
    call_command("seed_leads", count=count, seed=7, stdout=out, stderr=stderr or StringIO(), **options)
    return out.getvalue()


def schema_of_the_lead_tables() -> set[tuple[str, str]]:
    """Every index and foreign key of the two tables seed_leads loads, as PostgreSQL defines it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename IN ('leads_lead', 'leads_statuschange')"
            " UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid IN ('leads_lead'::regclass, 'leads_statuschange'::regclass)"
        )
        return set(cursor.fetchall())


def test_seed_creates_the_requested_number_of_leads():
    seed(250, batch_size=100)

    assert Lead.objects.count() == 250


def test_seed_reports_how_many_it_created():
    assert "Created 30 leads" in seed(30)


def test_seed_shows_its_progress_as_it_goes():
    progress = StringIO()

    seed(300, batch_size=100, stderr=progress)

    lines = progress.getvalue().splitlines()
    assert [line.split("]")[1].split()[0] for line in lines if line.startswith("Seeding leads [")] == [
        "100/300",
        "200/300",
        "300/300",
    ]


@pytest.mark.postgres_only(reason="indexes are rebuilt around COPY")
def test_a_load_that_rebuilds_the_indexes_leaves_the_schema_as_the_migrations_made_it():
    before = schema_of_the_lead_tables()
    progress = StringIO()

    seed(400, batch_size=150, indexes="rebuild", stderr=progress)

    assert Lead.objects.count() == 400
    assert schema_of_the_lead_tables() == before
    assert "Building index lead_email_trgm" in progress.getvalue()


def test_seeded_emails_are_unique_even_across_two_runs():
    seed(200)
    seed(200)

    duplicates = Lead.objects.values(e=Lower("email")).annotate(n=Count("pk")).filter(n__gt=1)
    assert Lead.objects.count() == 400
    assert not duplicates.exists()


def test_seeded_leads_carry_their_normalised_address():
    seed(50)

    assert all(key == email_key(email) for email, key in Lead.objects.values_list("email", "email_key"))


def test_seeded_leads_are_mostly_pending():
    seed(1000)

    counts = Lead.objects.count_by_status()
    assert 0.65 <= counts["PENDING"] / 1000 <= 0.75


def test_seeded_leads_span_two_years():
    seed(500)

    oldest = Lead.objects.order_by("created_at").first().created_at
    newest = Lead.objects.order_by("-created_at").first().created_at
    assert (newest - oldest).days > 600


def test_every_reached_out_lead_has_a_time_an_attorney_and_a_history_row():
    seed(300)

    reached = Lead.objects.with_status(Lead.Status.REACHED_OUT)
    assert reached.exists()
    assert not reached.filter(reached_out_at__isnull=True).exists()
    assert not reached.filter(reached_out_by__isnull=True).exists()
    assert not reached.exclude(status_changes__to_status=Lead.Status.REACHED_OUT).exists()
    assert not reached.filter(reached_out_at__lt=F("created_at")).exists()


def test_never_reached_leads_have_no_history():
    seed(300)

    untouched = Lead.objects.filter(reached_out_at__isnull=True)
    assert untouched.exists()
    assert not StatusChange.objects.filter(lead__in=untouched).exists()


def test_seeded_leads_share_one_stored_resume(settings):
    seed(100)

    assert set(Lead.objects.values_list("resume", flat=True)) == {SEED_RESUME_NAME}
    stored = Path(settings.MEDIA_ROOT) / SEED_RESUME_NAME
    assert stored.read_bytes().startswith(b"%PDF-")
    assert len(list(stored.parent.iterdir())) == 1


# Committed for real: the worker removes files after the commit. An attorney is there to
# reach out (a transactional test before may have flushed the migrations' Attorneys group).
@pytest.mark.django_db(transaction=True)
def test_deleting_some_seeded_leads_keeps_the_shared_resume(settings, attorney):
    seed(20)

    services.delete_leads(leads=Lead.objects.filter(pk__in=Lead.objects.values("pk")[:5]))
    run_worker()

    assert Lead.objects.count() == 15
    assert (Path(settings.MEDIA_ROOT) / SEED_RESUME_NAME).exists()


@pytest.mark.django_db(transaction=True)
def test_deleting_the_last_seeded_leads_removes_the_shared_resume(settings, attorney):
    seed(20)

    services.delete_leads(leads=Lead.objects.all())
    run_worker()

    assert not (Path(settings.MEDIA_ROOT) / SEED_RESUME_NAME).exists()


def test_seeded_reach_outs_are_credited_to_demo_attorneys_not_a_real_one(attorney):
    seed(100)

    reached_by = set(
        Lead.objects.exclude(reached_out_by=None).values_list("reached_out_by__username", flat=True)
    )
    assert reached_by and reached_by <= {"demo-attorney-1", "demo-attorney-2", "demo-attorney-3"}


def test_demo_attorneys_are_never_notified_nor_assignable(attorney):
    seed(10)

    assert list(User.objects.attorneys()) == [attorney]


def test_a_negative_count_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        seed(-1)


def test_seeded_leads_have_resume_text_that_search_finds():
    seed(40)

    assert set(Lead.objects.values_list("resume_text_state", flat=True)) == {Lead.TextState.READ}
    # Every demo resume states its years of experience (a vector on PostgreSQL, text elsewhere).
    assert Lead.objects.search_resumes("experience").count() == 40


@pytest.mark.postgres_only(reason="search vectors are PostgreSQL's")
def test_seeded_search_vectors_are_the_ones_the_worker_would_compute():
    seed(60)
    seeded = dict(Lead.objects.values_list("pk", "search_vector"))

    Lead.objects.all().refresh_search_vectors()

    assert seeded == dict(Lead.objects.values_list("pk", "search_vector"))


@pytest.mark.postgres_only(reason="the load's trigger is PostgreSQL's")
def test_seeding_leaves_no_trigger_on_the_leads_table():
    seed(60)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'leads_lead'::regclass AND NOT tgisinternal"
        )
        assert cursor.fetchall() == []
