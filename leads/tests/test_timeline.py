"""A lead's timeline: one read merging everything that happened to it, in time order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads import selectors
from leads.models import (
    AssignmentChange,
    Note,
    Resubmission,
    ResumeDownload,
    StatusChange,
)
from leads.tests.factories import FailedEmailFactory, LeadFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=10)


def at(minutes: int):
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def history():
    """A lead with one event of every kind, a minute apart, written out of order."""
    alice, bob = AttorneyFactory(username="alice"), AttorneyFactory(username="bob")
    lead = LeadFactory(created_at=at(0), source="newsletter")
    ResumeDownload.objects.create(lead=lead, downloaded_by=bob, downloaded_at=at(7), via="api")
    FailedEmailFactory(lead=lead, created_at=at(1))
    resubmission = Resubmission.objects.create(lead=lead, resume="resumes/again.pdf", created_at=at(2))
    StatusChange.objects.create(
        lead=lead, from_status="PENDING", to_status="REACHED_OUT", changed_by=alice, changed_at=at(5)
    )
    AssignmentChange.objects.create(
        lead=lead, from_user=None, to_user=bob, changed_by=alice, changed_at=at(3)
    )
    Note.objects.create(lead=lead, author=bob, body="Called; will send the form.", created_at=at(4))
    ResumeDownload.objects.create(
        lead=lead, resubmission=resubmission, downloaded_by=alice, downloaded_at=at(6), via="admin"
    )
    return lead, resubmission


def test_every_kind_of_event_is_merged_oldest_first(history):
    lead, _ = history

    timeline = selectors.timeline(lead)

    assert [event.type for event in timeline.events] == [
        "submitted",
        "delivery",
        "resubmitted",
        "assigned",
        "note",
        "status_changed",
        "resume_downloaded",
        "resume_downloaded",
    ]
    assert [event.at for event in timeline.events] == [at(n) for n in range(8)]
    assert not timeline.truncated


def test_each_event_says_who_did_it_and_what_happened(history):
    lead, resubmission = history

    events = {event.type: event for event in selectors.timeline(lead).events}

    assert (events["submitted"].by, events["submitted"].detail["source"]) == (None, "newsletter")
    assert events["resubmitted"].detail["resubmission"] == resubmission.pk
    assert events["assigned"].by.username == "alice"
    assert events["assigned"].detail == {"from": None, "to": "bob"}
    assert events["note"].by.username == "bob"
    assert events["note"].detail["body"] == "Called; will send the form."
    assert events["status_changed"].detail == {"from": "PENDING", "to": "REACHED_OUT"}
    assert events["delivery"].detail["status"] == "failed"
    assert events["delivery"].detail["error"] == "550 5.1.1 <desk@firm.example>: Recipient address rejected"
    assert events["delivery"].detail["description"] == "New-lead notification"


def test_downloads_say_which_file_and_through_what(history):
    lead, resubmission = history

    downloads = [event for event in selectors.timeline(lead).events if event.type == "resume_downloaded"]

    assert [(d.by.username, d.detail) for d in downloads] == [
        ("alice", {"resubmission": resubmission.pk, "via": "admin"}),
        ("bob", {"resubmission": None, "via": "api"}),
    ]


def test_a_long_history_shows_the_newest_events_and_says_it_was_cut():
    lead = LeadFactory(created_at=at(0))
    author = AttorneyFactory()
    Note.objects.bulk_create(
        Note(lead=lead, author=author, body=f"note {n}", created_at=at(n)) for n in range(1, 251)
    )

    timeline = selectors.timeline(lead, limit=200)

    assert timeline.truncated
    assert len(timeline.events) == 200
    assert timeline.events[0].detail["body"] == "note 51"
    assert timeline.events[-1].detail["body"] == "note 250"


def test_a_cut_history_keeps_the_newest_events_of_every_kind():
    lead = LeadFactory(created_at=at(0))
    author = AttorneyFactory()
    Note.objects.bulk_create(
        Note(lead=lead, author=author, body=f"note {n}", created_at=at(n)) for n in range(1, 301, 2)
    )
    StatusChange.objects.bulk_create(
        StatusChange(lead=lead, from_status="PENDING", to_status="REACHED_OUT", changed_at=at(n))
        for n in range(2, 301, 2)
    )

    timeline = selectors.timeline(lead, limit=200)

    assert [event.at for event in timeline.events] == [at(n) for n in range(101, 301)]
    assert [event.type for event in timeline.events[:2]] == ["note", "status_changed"]


def test_events_at_the_same_moment_are_listed_in_the_order_of_their_kinds():
    lead = LeadFactory(created_at=at(0))
    attorney = AttorneyFactory()
    Note.objects.create(lead=lead, author=attorney, body="x", created_at=at(1))
    AssignmentChange.objects.create(lead=lead, to_user=attorney, changed_by=attorney, changed_at=at(1))
    StatusChange.objects.create(
        lead=lead, from_status="PENDING", to_status="REACHED_OUT", changed_by=attorney, changed_at=at(1)
    )

    types = [event.type for event in selectors.timeline(lead).events]

    assert types == ["submitted", "status_changed", "assigned", "note"]


def test_without_a_limit_the_whole_history_is_read():
    lead = LeadFactory(created_at=at(0))
    Note.objects.bulk_create(Note(lead=lead, body=f"note {n}", created_at=at(n)) for n in range(1, 251))

    timeline = selectors.timeline(lead, limit=None)

    assert not timeline.truncated
    assert len(timeline.events) == 251
    assert timeline.events[0].type == "submitted"


def test_reading_it_takes_one_query_whatever_its_length(django_assert_num_queries):
    lead = LeadFactory(created_at=at(0))
    attorney = AttorneyFactory()
    for n in range(1, 301):
        kind = n % 3
        if kind == 0:
            Note.objects.create(lead=lead, author=attorney, body="x", created_at=at(n))
        elif kind == 1:
            StatusChange.objects.create(
                lead=lead,
                from_status="PENDING",
                to_status="REACHED_OUT",
                changed_by=attorney,
                changed_at=at(n),
            )
        else:
            AssignmentChange.objects.create(
                lead=lead, to_user=attorney, changed_by=attorney, changed_at=at(n)
            )

    # resubmissions, status changes, assignments, notes, deliveries, downloads, lead events
    # (trashed, restored, exported), users joined, in one UNION ALL
    with django_assert_num_queries(1):
        timeline = selectors.timeline(lead)
        names = {event.by.username for event in timeline.events if event.by}

    assert names == {attorney.username}
    assert timeline.truncated
