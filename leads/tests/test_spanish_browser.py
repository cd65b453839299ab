"""The Spanish public pages in Debian's Chromium: reached by the browser's language or the
switcher (JavaScript off), accessible (axe-core), and laid out at laptop and phone widths."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import ARTIFACTS
from leads.models import Lead
from leads.tests.documents import MINIMAL_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def axe_violations(page) -> list[str]:
    """axe-core's findings of every impact (none serious, and none of the others either)."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}" for v in found]


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def fill_in_spanish(page) -> None:
    page.get_by_label("Nombre", exact=True).fill("Ana")
    page.get_by_label("Apellidos").fill("García")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Currículum").set_input_files(
        {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_spanish_browser_applies_in_spanish_with_no_accessibility_violations(chromium, live_server, width):
    context = chromium.new_context(locale="es-ES", viewport=WIDTHS[width])
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "es"
    screenshot(page, f"spanish_form_{width}")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Enviar solicitud").click()  # empty: every field is missing
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_text("Escriba su nombre.").first.is_visible()
    screenshot(page, f"spanish_errors_{width}")
    assert axe_violations(page) == []

    fill_in_spanish(page)
    page.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_url("**/thanks/")
    assert page.get_by_role("heading", name="Gracias, hemos recibido su solicitud").is_visible()
    screenshot(page, f"spanish_thanks_{width}")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
    assert Lead.objects.get().language == "es"


def test_the_switcher_works_with_javascript_off_and_holds_for_the_visit(chromium, live_server):
    context = chromium.new_context(locale="en-US", java_script_enabled=False, viewport=WIDTHS["1280"])
    page = context.new_page()
    page.goto(f"{live_server.url}/?utm_source=newsletter")

    page.get_by_role("link", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"
    fill_in_spanish(page)
    page.get_by_role("button", name="Enviar solicitud").click()

    page.wait_for_url("**/thanks/")
    assert page.locator("html").get_attribute("lang") == "es"
    context.close()
    lead = Lead.objects.get()
    assert (lead.language, lead.source) == ("es", "newsletter")
