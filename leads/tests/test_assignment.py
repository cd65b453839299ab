"""Assignment: one service for every interface, its history, its emails and round-robin intake.

Real worker runs (`db_worker --batch`) and a real SMTP server (aiosmtpd) on loopback.
"""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import AttorneyFactory, UserFactory
from leads import services
from leads.models import AssignmentChange, Delivery, Lead
from leads.tests.factories import MINIMAL_PDF, LeadFactory
from leads.tests.mail import bodies, run_worker
from leads.tests.test_workers import wait_until_all_tasks_finished, workers_running

ROOT = Path(__file__).resolve().parents[2]


def submit(email: str = "jane@example.com") -> Lead:
    resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
    return services.submit_lead(first_name="Jane", last_name="Doe", email=email, resume=resume)


def assign(lead: Lead, to, by) -> int:
    return services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=to, by=by)


def event_tasks():
    return DBTaskResult.objects.filter(task_path="leads.worker.fanout.handle_event")


@pytest.mark.django_db
class TestTheService:
    def test_assigning_a_lead_records_who_assigned_it_to_whom(self):
        alice, bob = AttorneyFactory(), AttorneyFactory()
        lead = LeadFactory()

        assert assign(lead, bob, alice) == 1

        lead.refresh_from_db()
        assert lead.assigned_to == bob
        [change] = AssignmentChange.objects.filter(lead=lead)
        assert (change.from_user, change.to_user, change.changed_by) == (None, bob, alice)

    def test_reassigning_records_the_previous_assignee(self):
        alice, bob = AttorneyFactory(), AttorneyFactory()
        lead = LeadFactory()
        assign(lead, alice, alice)

        assign(lead, bob, alice)

        change = AssignmentChange.objects.filter(lead=lead).last()
        assert (change.from_user, change.to_user) == (alice, bob)

    def test_unassigning_records_nobody_as_the_new_assignee(self):
        alice = AttorneyFactory()
        lead = LeadFactory()
        assign(lead, alice, alice)

        assert assign(lead, None, alice) == 1

        lead.refresh_from_db()
        assert lead.assigned_to is None
        assert AssignmentChange.objects.filter(lead=lead).last().to_user is None

    def test_assigning_to_the_current_assignee_changes_nothing_and_queues_nothing(self):
        alice = AttorneyFactory()
        lead = LeadFactory()
        assign(lead, alice, alice)

        assert assign(lead, alice, alice) == 0

        assert AssignmentChange.objects.filter(lead=lead).count() == 1
        assert event_tasks().count() == 1

    def test_an_inactive_attorney_is_refused_on_assigned_to(self):
        gone = AttorneyFactory(is_active=False)
        lead = LeadFactory()

        with pytest.raises(ValidationError) as refused:
            assign(lead, gone, AttorneyFactory())

        assert list(refused.value.message_dict) == ["assigned_to"]
        lead.refresh_from_db()
        assert lead.assigned_to is None

    def test_a_user_outside_the_attorneys_group_is_refused(self):
        clerk = UserFactory(is_staff=True)
        lead = LeadFactory()

        with pytest.raises(ValidationError):
            assign(lead, clerk, AttorneyFactory())

        assert not AssignmentChange.objects.exists()

    def test_one_assignment_of_many_leads_queues_one_event(self):
        alice, bob = AttorneyFactory(), AttorneyFactory()
        leads = LeadFactory.create_batch(5)

        services.assign_leads(leads=Lead.objects.all(), to=bob, by=alice)

        [task] = event_tasks()
        event, lead_ids, data = task.args_kwargs["args"]
        assert event == "lead.assigned"
        assert sorted(lead_ids) == sorted(str(lead.pk) for lead in leads)
        assert data == {"assigned_to": str(bob.pk), "assigned_by": str(alice.pk)}


@pytest.mark.django_db(transaction=True)
class TestTheEmails:
    def test_the_assignee_gets_an_email_with_a_link_when_a_colleague_assigns(self, smtp):
        alice, bob = AttorneyFactory(full_name="Alice Ames"), AttorneyFactory()
        lead = LeadFactory(first_name="Jane", last_name="Doe")
        assign(lead, bob, alice)

        run_worker()

        [message] = smtp.to(bob.email)
        text, html = bodies(message)
        assert message["Subject"] == "Lead assigned to you: Jane Doe"
        assert "Alice Ames assigned a lead to you." in text
        link = f"https://intake.example/admin/leads/lead/{lead.pk}/change/"
        assert link in text and f'href="{link}"' in html
        delivery = Delivery.objects.get(kind=Delivery.Kind.ASSIGNMENT)
        assert (delivery.lead, delivery.recipient, delivery.status) == (lead, bob.email, Delivery.Status.SENT)

    def test_assigning_a_lead_to_yourself_sends_no_email(self, smtp):
        alice = AttorneyFactory()
        assign(LeadFactory(), alice, alice)

        run_worker()

        assert smtp.messages == []
        assert not Delivery.objects.exists()

    def test_a_bulk_assignment_emails_the_assignee_once_per_lead(self, smtp):
        alice, bob = AttorneyFactory(), AttorneyFactory()
        leads = LeadFactory.create_batch(3)

        services.assign_leads(leads=Lead.objects.all(), to=bob, by=alice)
        run_worker()

        assert len(smtp.to(bob.email)) == 3
        assert set(Delivery.objects.values_list("lead", flat=True)) == {lead.pk for lead in leads}

    def test_a_lead_reassigned_before_the_worker_ran_is_not_announced_to_the_first_assignee(self, smtp):
        alice, bob, carol = AttorneyFactory(), AttorneyFactory(), AttorneyFactory()
        lead = LeadFactory()
        assign(lead, bob, alice)
        assign(lead, carol, alice)

        run_worker()

        assert smtp.to(bob.email) == []
        assert len(smtp.to(carol.email)) == 1

    def test_an_assignee_without_an_email_address_is_a_failed_delivery_saying_so(self, smtp):
        alice, bob = AttorneyFactory(), AttorneyFactory(email="")
        lead = LeadFactory()
        assign(lead, bob, alice)

        run_worker()

        delivery = Delivery.objects.get(kind=Delivery.Kind.ASSIGNMENT, lead=lead)
        assert delivery.status == Delivery.Status.FAILED
        assert "has no email address" in delivery.last_error


@pytest.mark.django_db(transaction=True)
class TestRoundRobin:
    @pytest.fixture(autouse=True)
    def _round_robin(self, settings):
        settings.LEAD_AUTO_ASSIGN = "round_robin"

    def test_a_new_lead_goes_to_the_attorney_with_the_fewest_pending_leads(self, smtp):
        busy, free = AttorneyFactory(username="aaron"), AttorneyFactory(username="zoe")
        for lead in LeadFactory.create_batch(2):
            assign(lead, busy, busy)
        assign(LeadFactory(), free, free)

        lead = submit()
        run_worker()

        lead.refresh_from_db()
        assert lead.assigned_to == free
        change = AssignmentChange.objects.get(lead=lead)
        assert change.changed_by is None  # the system

    def test_leads_already_reached_out_do_not_count_against_an_attorney(self, smtp):
        aaron, zoe = AttorneyFactory(username="aaron"), AttorneyFactory(username="zoe")
        for lead in LeadFactory.create_batch(2):
            assign(lead, aaron, aaron)
            services.reach_out(lead=lead, by=aaron)
        assign(LeadFactory(), zoe, zoe)

        lead = submit()
        run_worker()

        lead.refresh_from_db()
        assert lead.assigned_to == aaron

    def test_ties_go_to_the_first_username_and_then_take_turns(self, smtp):
        zoe, aaron = AttorneyFactory(username="zoe"), AttorneyFactory(username="aaron")

        leads = [submit(f"p{n}@example.com") for n in range(3)]
        run_worker()

        assigned = [Lead.objects.get(pk=lead.pk).assigned_to for lead in leads]
        assert sorted(assigned, key=lambda user: user.username) == [aaron, aaron, zoe]
        assert Lead.objects.filter(assigned_to=aaron).order_by("created_at").first().pk == leads[0].pk

    def test_inactive_attorneys_and_other_staff_are_never_picked(self, smtp):
        AttorneyFactory(username="aaron", is_active=False)
        UserFactory(username="abby", is_staff=True, is_superuser=True)
        zoe = AttorneyFactory(username="zoe")
        assign(LeadFactory(), zoe, zoe)  # zoe is the busiest, yet the only one allowed

        lead = submit()
        run_worker()

        lead.refresh_from_db()
        assert lead.assigned_to == zoe

    def test_without_any_attorney_the_lead_stays_unassigned(self, smtp, settings):
        settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]

        lead = submit()
        run_worker()

        lead.refresh_from_db()
        assert lead.assigned_to is None
        assert len(smtp.to("desk@firm.example")) == 1

    def test_the_new_lead_notification_says_who_it_was_assigned_to(self, smtp, settings):
        settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]
        AttorneyFactory(full_name="Zoe Zimmer")

        submit()
        run_worker()

        [message] = smtp.to("desk@firm.example")
        text, html = bodies(message)
        assert "Assigned:  Zoe Zimmer" in text
        assert "Zoe Zimmer" in html

    def test_the_assignee_outside_the_notified_addresses_gets_an_assignment_email(self, smtp, settings):
        settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]
        zoe = AttorneyFactory()

        submit()
        run_worker()

        [message] = smtp.to(zoe.email)
        assert message["Subject"] == "Lead assigned to you: Jane Doe"
        assert "the system assigned a lead to you." in bodies(message)[0]

    def test_an_assignee_told_by_the_new_lead_notification_gets_no_second_email(self, smtp):
        zoe = AttorneyFactory()

        submit()
        run_worker()

        [message] = smtp.to(zoe.email)
        assert message["Subject"] == "New lead: Jane Doe"

    def test_with_the_default_setting_new_leads_stay_unassigned(self, smtp, settings):
        settings.LEAD_AUTO_ASSIGN = "none"
        AttorneyFactory()

        lead = submit()
        run_worker()

        lead.refresh_from_db()
        assert lead.assigned_to is None
        assert not AssignmentChange.objects.exists()


def test_an_unknown_auto_assign_setting_is_refused_at_start_up():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "x" * 50, "LEAD_AUTO_ASSIGN": "round-robin"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode != 0
    assert "LEAD_AUTO_ASSIGN must be none or round_robin, not 'round-robin'" in result.stderr


@pytest.mark.postgres_only(reason="concurrent workers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_assigning_at_once_share_the_leads_evenly(smtp_server):
    attorneys = [AttorneyFactory(username="aaron"), AttorneyFactory(username="zoe")]
    for n in range(30):
        submit(f"prospect{n}@example.com")
    # Both start on a backlog, so their fan-outs overlap from the first task on.
    with workers_running(("worker-a", "worker-b"), smtp_server.port, LEAD_AUTO_ASSIGN="round_robin"):
        wait_until_all_tasks_finished()

    # One pick at a time (the round-robin lock): always the less busy one, so 15 each.
    assigned = Counter(Lead.objects.values_list("assigned_to__username", flat=True))
    assert assigned == {attorney.username: 15 for attorney in attorneys}
    ran_by = Counter(
        worker for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for worker in ids
    )
    assert set(ran_by) == {"worker-a", "worker-b"}
