from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads import models, services
from leads.models import Lead
from leads.tests.mail import run_worker
from leads.worker.files import remove_files


@pytest.mark.django_db
def test_attorneys_group_can_view_and_change_leads_but_not_delete():
    codenames = set(Group.objects.get(name="Attorneys").permissions.values_list("codename", flat=True))

    assert {"view_lead", "change_lead", "view_statuschange"} <= codenames
    assert "delete_lead" not in codenames
    assert not any(c.endswith("_user") for c in codenames)


# --- 0021-0023: every address keyed by its normalised form -----------------------------------

BEFORE_KEYS = ("leads", "0021_email_keys")


def migrate(*targets: tuple[str, str]):
    """Migrate the test database to `targets` (default: every app's latest); the apps there."""
    executor = MigrationExecutor(connection)
    targets = targets or tuple(executor.loader.graph.leaf_nodes())
    executor.migrate(list(targets))
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_keys(transactional_db):
    """The schema with the key columns still empty (0021); every app's latest again after."""
    yield migrate(BEFORE_KEYS)
    migrate()


def old_lead(apps, email: str, *, days_ago: int):
    return apps.get_model("leads", "Lead").objects.create(
        first_name="Old",
        last_name="Lead",
        email=email,
        resume="resumes/old.pdf",
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def test_existing_leads_are_keyed_by_their_normalised_address(before_keys):
    idn = old_lead(before_keys, "Jane@Éxample.com", days_ago=2)
    ascii_ = old_lead(before_keys, "Bob.Smith@EXAMPLE.com", days_ago=1)

    migrate()

    assert Lead.objects.get(pk=idn.pk).email_key == "jane@xn--xample-9ua.com"
    assert Lead.objects.get(pk=ascii_.pk).email_key == "bob.smith@example.com"
    assert Lead.objects.get(pk=idn.pk).email == "Jane@Éxample.com"  # stored as entered


def test_of_leads_sharing_a_mailbox_the_oldest_keeps_it_and_the_others_are_kept_set_aside(
    before_keys, capsys
):
    oldest = old_lead(before_keys, "victim@example.org", days_ago=3)
    soft_hyphen = old_lead(before_keys, "victim@exa\u00admple.org", days_ago=2)
    fullwidth = old_lead(before_keys, "victim@\uff45xample.org", days_ago=1)

    migrate()

    keys = dict(Lead.objects.values_list("pk", "email_key"))
    assert keys == {
        oldest.pk: "victim@example.org",
        soft_hyphen.pk: f"victim@example.org#{soft_hyphen.pk}",
        fullwidth.pk: f"victim@example.org#{fullwidth.pk}",
    }
    assert Lead.objects.by_email("victim@example.org").pk == oldest.pk
    printed = capsys.readouterr().out
    assert f"lead {soft_hyphen.pk} (older lead: {oldest.pk})" in printed
    assert f"lead {fullwidth.pk} (older lead: {oldest.pk})" in printed


def test_erasing_an_address_takes_the_leads_set_aside_under_it_too(before_keys):
    old_lead(before_keys, "victim@example.org", days_ago=2)
    old_lead(before_keys, "victim@e\u2060xample.org", days_ago=1)
    old_lead(before_keys, "someone.else@example.org", days_ago=1)
    migrate()

    counts = services.erase_prospect(email="Victim@Example.org")

    assert counts["leads"] == 2
    assert list(Lead.objects.values_list("email", flat=True)) == ["someone.else@example.org"]


def test_email_deliveries_and_trapped_submissions_are_keyed_too(before_keys):
    lead = old_lead(before_keys, "jane@example.com", days_ago=1)
    Delivery = before_keys.get_model("leads", "Delivery")
    email = Delivery.objects.create(
        kind="confirmation", channel="email", recipient="Jane@\uff45xample.com", lead=lead
    )
    webhook = Delivery.objects.create(
        kind="lead.created", channel="webhook", recipient="https://x.example/", lead=lead
    )
    trapped = before_keys.get_model("leads", "TrappedSubmission").objects.create(
        email=" JANE@exa\u00admple.com"
    )

    migrate()

    keys = dict(models.Delivery.objects.values_list("pk", "recipient_key"))
    assert keys == {email.pk: "jane@example.com", webhook.pk: ""}
    assert models.TrappedSubmission.objects.get(pk=trapped.pk).email_key == "jane@example.com"


def test_going_back_empties_the_keys_and_leaves_the_leads(before_keys):
    first = old_lead(before_keys, "victim@example.org", days_ago=2)
    second = old_lead(before_keys, "victim@\uff45xample.org", days_ago=1)
    migrate()

    apps = migrate(BEFORE_KEYS)

    leads = apps.get_model("leads", "Lead").objects
    assert dict(leads.values_list("pk", "email_key")) == {first.pk: None, second.pk: None}
    assert dict(leads.values_list("pk", "email")) == {
        first.pk: "victim@example.org",
        second.pk: "victim@\uff45xample.org",
    }


# --- 0027: queued tasks follow their functions into leads/worker/ ----------------------------

BEFORE_WORKER = ("leads", "0026_delivery_printed")


def test_a_task_queued_before_the_move_still_runs_after_it(transactional_db, settings):
    name = default_storage.save("resumes/left-behind.pdf", ContentFile(b"%PDF-1.4"))
    queued = remove_files.enqueue([name])
    migrate(BEFORE_WORKER)  # as the row stood before the move: leads.tasks.remove_files
    assert DBTaskResult.objects.get(pk=queued.id).task_path == "leads.tasks.remove_files"

    migrate()
    run_worker()

    row = DBTaskResult.objects.get(pk=queued.id)
    assert (row.task_path, row.status) == ("leads.worker.files.remove_files", "SUCCESSFUL")
    assert not default_storage.exists(name)
