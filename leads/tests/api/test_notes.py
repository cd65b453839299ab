"""Notes through the API: GET and POST /api/v1/leads/{id}/notes/."""

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from conftest import token_client
from leads import services
from leads.models import Note
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/notes/"


def test_post_adds_a_note_by_the_caller_and_answers_201(attorney_api_client, attorney):
    lead = LeadFactory()

    response = attorney_api_client.post(url(lead), {"body": "Called.\nWill write."}, format="json")

    assert response.status_code == 201
    note = Note.objects.get(lead=lead)
    assert response.json() == {
        "id": str(note.pk),
        "author": attorney.username,
        "body": "Called.\nWill write.",
        "created_at": response.json()["created_at"],
    }
    assert note.author == attorney


def test_get_lists_the_notes_oldest_first(attorney_api_client, attorney):
    lead = LeadFactory()
    for body in ("first", "second"):
        services.add_note(lead=lead, author=attorney, body=body)
    services.add_note(lead=LeadFactory(), author=attorney, body="another lead's")

    response = attorney_api_client.get(url(lead))

    assert response.status_code == 200
    assert [(n["author"], n["body"]) for n in response.json()] == [
        (attorney.username, "first"),
        (attorney.username, "second"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 5001, "Ensure this field has no more than 5000 characters."),
        ("", "This field may not be blank."),
        ("   ", "Write something first: the note is empty."),
        ("tab\there", "A note is plain text: letters, digits, punctuation, spaces and line breaks only."),
    ],
)
def test_a_bad_note_is_a_400_on_body(attorney_api_client, body, message):
    response = attorney_api_client.post(url(LeadFactory()), {"body": body}, format="json")

    assert response.status_code == 400
    assert response.json() == {"body": [message]}
    assert not Note.objects.exists()


def test_a_caller_with_view_lead_only_reads_notes_but_cannot_add_one(attorney):
    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_lead"))
    lead = LeadFactory()
    services.add_note(lead=lead, author=attorney, body="kept")
    client = token_client(reader)

    assert client.get(url(lead)).status_code == 200
    assert client.post(url(lead), {"body": "sneaky"}, format="json").status_code == 403
    assert Note.objects.count() == 1


def test_without_view_lead_notes_are_403(no_perms_client):
    assert no_perms_client.get(url(LeadFactory())).status_code == 403


def test_notes_of_an_unknown_lead_are_404(attorney_api_client):
    response = attorney_api_client.get("/api/v1/leads/00000000-0000-4000-8000-000000000000/notes/")

    assert response.status_code == 404
    assert "detail" in response.json()
