"""Notes: plain text an attorney writes on a lead, through the one service."""

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import AttorneyFactory
from leads import services
from leads.models import NOTE_MAX_CHARS, Lead, Note
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def refusal(body: str) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        services.add_note(lead=LeadFactory(), author=AttorneyFactory(), body=body)
    assert list(refused.value.message_dict) == ["body"]
    return refused.value.message_dict["body"]


def test_a_note_keeps_its_author_time_and_line_breaks():
    attorney, lead = AttorneyFactory(), LeadFactory()

    note = services.add_note(lead=lead, author=attorney, body="Called at 10.\r\nWill send the form.\n")

    note.refresh_from_db()
    assert (note.lead, note.author, note.body) == (lead, attorney, "Called at 10.\nWill send the form.")
    assert note.created_at is not None


def test_a_note_of_exactly_the_limit_is_kept():
    note = services.add_note(lead=LeadFactory(), author=AttorneyFactory(), body="x" * NOTE_MAX_CHARS)

    assert len(note.body) == NOTE_MAX_CHARS


def test_a_note_over_the_limit_is_refused_on_body():
    assert refusal("x" * (NOTE_MAX_CHARS + 1)) == ["A note has at most 5,000 characters; this one has 5,001."]
    assert not Note.objects.exists()


def test_an_empty_note_is_refused():
    assert refusal(" \n \n") == ["Write something first: the note is empty."]


@pytest.mark.parametrize("character", ["\x00", "\t", "\x1b", "\u202e", "\u2028"])
def test_control_characters_other_than_line_breaks_are_refused(character):
    assert refusal(f"Called{character}back") == [
        "A note is plain text: letters, digits, punctuation, spaces and line breaks only."
    ]


def test_notes_go_with_their_lead():
    lead = LeadFactory()
    services.add_note(lead=lead, author=AttorneyFactory(), body="Left a voicemail.")

    services.delete_leads(leads=Lead.objects.filter(pk=lead.pk))

    assert not Note.objects.exists()
