"""The form inside another site's frame, in Debian's Chromium: the firm's page on one loopback
origin (http://127.0.0.1:PORT), the form on the live server (http://localhost:PORT), so the
frame is cross-site as it is on a real firm's website."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config.testing import free_port
from conftest import browser_page
from leads.models import Lead
from leads.tests.factories import MINIMAL_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextmanager
def firm_site(form_url: str) -> Iterator[str]:
    """A second origin serving one page that frames `form_url`; yields its origin."""
    page = (
        "<!doctype html><title>Firm</title><h1>Apply to the firm</h1>"
        f'<iframe src="{form_url}" title="Intake form" width="900" height="1400"></iframe>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def firm(live_server):
    with firm_site(live_server.url + "/") as origin:
        yield origin


@pytest.fixture
def page_without_javascript(chromium, request):
    with browser_page(chromium, request.node.name, java_script_enabled=False) as page:
        yield page


def test_the_form_works_inside_the_firms_frame_without_javascript_and_shows_the_thanks_there(
    page_without_javascript, live_server, firm, settings
):
    # What config/settings.py makes of INTAKE_FRAME_ANCESTORS=<the firm's origin>. This
    # Chromium keeps no unpartitioned cookie in a cross-site frame: the form works only
    # because the CSRF cookie is Partitioned.
    settings.INTAKE_FRAME_ANCESTORS = [firm]
    settings.CSRF_COOKIE_SAMESITE = "None"
    settings.CSRF_COOKIE_SECURE = True
    page = page_without_javascript

    page.goto(firm + "/")
    form = page.frame_locator("iframe")
    form.get_by_label("First name").fill("Jane")
    form.get_by_label("Last name").fill("Doe")
    form.get_by_label("Email address").fill("jane@example.com")
    form.get_by_label("Resume").set_input_files(
        {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}
    )
    form.get_by_role("button", name="Send application").click()

    form.get_by_role("heading", name="Thank you, we have your application").wait_for()
    assert page.url == firm + "/"  # the firm's page stays; only the frame moved on
    assert page.frames[1].url == live_server.url + "/thanks/"
    assert Lead.objects.get().email == "jane@example.com"


def test_without_the_setting_chromium_refuses_to_show_the_form_in_the_frame(page, live_server, firm):
    refusals = []
    page.on("console", lambda message: refusals.append(message.text) if message.type == "error" else None)

    page.goto(firm + "/")

    # Chromium replaces a refused frame's document with its own error page.
    frame = page.frames[1]
    frame.wait_for_url("chrome-error://chromewebdata/")
    assert any("frame-ancestors 'none'" in text for text in refusals), refusals
    assert page.frame_locator("iframe").get_by_label("First name").count() == 0
