"""The firm's own face on every screen: its name, a favicon, and a thanks page that is no dead end."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AttorneyFactory
from leads.tests.factories import MINIMAL_PDF
from leads.tests.mail import bodies, run_worker

pytestmark = pytest.mark.django_db

FIRM = "Hale & Partners"


@pytest.fixture
def firm(settings):
    settings.FIRM_NAME = FIRM


def title(body: str) -> str:
    return re.search(r"<title>(.*?)</title>", body, re.S).group(1).strip()


@pytest.mark.parametrize("url", ["/", "/thanks/"])
def test_the_public_pages_carry_the_firm_name_in_header_and_title(client, firm, url):
    body = client.get(url).content.decode()

    assert title(body).endswith("· Hale &amp; Partners")
    assert '<span class="brand__name">Hale &amp; Partners</span>' in body
    assert "Client intake" not in body


def test_the_admin_header_and_title_carry_the_firm_name(attorney_client, firm):
    body = attorney_client.get("/admin/leads/lead/").content.decode()

    assert title(body) == "Select lead to change | Hale &amp; Partners"
    assert re.search(r'<div id="site-name"><a href="/admin/">Hale &amp; Partners</a></div>', body)
    assert "Django administration" not in body


def test_the_admin_login_page_has_a_heading(client):
    body = client.get("/admin/login/").content.decode()

    assert "<h1>Sign in</h1>" in body


@pytest.mark.django_db(transaction=True)
def test_the_attorneys_emails_are_signed_with_the_firm_name(client, smtp, firm):
    attorney = AttorneyFactory()
    client.post(
        "/",
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane@example.com",
            "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF),
        },
    )

    run_worker()

    [notification] = smtp.to(attorney.email)
    text, html = bodies(notification)
    assert "Hale & Partners · lead intake" in text
    assert "Hale &amp; Partners · lead intake" in html


def test_the_thanks_page_offers_a_way_back_and_a_contact_line(client):
    body = client.get("/thanks/").content.decode()

    assert '<a href="/">Back to the start page</a>' in body
    assert "Questions? Reply to the email we send you." in body


def test_the_thanks_page_gives_the_firms_contact_address_when_set(client, settings):
    settings.FIRM_CONTACT_EMAIL = "intake@hale.example"

    body = client.get("/thanks/").content.decode()

    assert 'Questions? Write to us at <a href="mailto:intake@hale.example">intake@hale.example</a>.' in body


def test_the_thanks_page_is_the_same_for_a_new_and_a_known_address(client, settings):
    settings.INTAKE_RATE = "100/minute"

    def apply() -> str:
        data = {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane@example.com",
            "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF),
        }
        response = client.post("/", data, follow=True)
        assert response.redirect_chain == [("/thanks/", 303)]
        return response.content.decode()

    assert apply() == apply()  # the second is a resubmission of a known address


@pytest.mark.parametrize("url", ["/", "/thanks/", "/admin/login/", "/admin/leads/lead/"])
def test_every_page_links_the_favicon(attorney_client, url):
    if url == "/admin/login/":
        attorney_client.logout()

    body = attorney_client.get(url).content.decode()

    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in body


def test_the_favicon_is_a_static_file():
    assert finders.find("img/favicon.svg") is not None
