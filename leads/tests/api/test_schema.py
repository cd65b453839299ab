import re

import pytest
from django.core.management import call_command

from accounts import services


@pytest.mark.django_db
def test_schema_is_valid_openapi_without_warnings(tmp_path):
    # The same command CI runs; --fail-on-warn makes any warning a SystemExit.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert "/api/v1/leads/{id}/reach-out/" in (tmp_path / "schema.yml").read_text()


@pytest.mark.django_db
def test_schema_endpoint_documents_every_contract_endpoint(api_client):
    response = api_client.get("/api/v1/schema/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == {
        ("/api/v1/auth/token/", "post"),
        ("/api/v1/deliveries/", "get"),
        ("/api/v1/intake-form/", "get"),
        ("/api/v1/leads/", "get"),
        ("/api/v1/leads/", "post"),
        ("/api/v1/leads/{id}/", "get"),
        ("/api/v1/leads/{id}/", "patch"),
        ("/api/v1/leads/{id}/", "delete"),
        ("/api/v1/leads/{id}/reach-out/", "post"),
        ("/api/v1/leads/{id}/resume/", "get"),
        ("/api/v1/leads/{id}/close/", "post"),
        ("/api/v1/leads/{id}/reopen/", "post"),
        ("/api/v1/leads/{id}/timeline/", "get"),
        ("/api/v1/leads/{id}/notes/", "get"),
        ("/api/v1/leads/{id}/notes/", "post"),
        ("/api/v1/leads/stats/", "get"),
        ("/api/v1/reports/conversion/", "get"),
        ("/api/v1/users/me/", "get"),
        ("/api/v1/webhooks/", "get"),
        ("/api/v1/webhooks/", "post"),
        ("/api/v1/webhooks/{id}/", "delete"),
    }


@pytest.mark.django_db
def test_schema_describes_create_as_multipart_with_a_binary_resume(api_client):
    schema = api_client.get("/api/v1/schema/").json()

    body = schema["paths"]["/api/v1/leads/"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    request = schema["components"]["schemas"]["LeadCreateRequest"]
    assert request["properties"]["resume"]["format"] == "binary"
    assert set(request["required"]) == {"first_name", "last_name", "email", "resume"}


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/v1/schema/").json()


@pytest.mark.django_db
def test_every_request_body_has_one_content_type(schema):
    bodies = {
        (path, method): list(operation["requestBody"]["content"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }

    assert bodies == {
        ("/api/v1/auth/token/", "post"): ["application/json"],
        ("/api/v1/leads/", "post"): ["multipart/form-data"],
        ("/api/v1/leads/{id}/", "patch"): ["application/json"],
        ("/api/v1/leads/{id}/notes/", "post"): ["application/json"],
        ("/api/v1/leads/{id}/close/", "post"): ["application/json"],
        ("/api/v1/webhooks/", "post"): ["application/json"],
    }


@pytest.mark.django_db
def test_ordering_is_one_string_of_the_sort_keys(schema):
    parameters = schema["paths"]["/api/v1/leads/"]["get"]["parameters"]
    (ordering,) = [parameter for parameter in parameters if parameter["name"] == "ordering"]

    assert ordering["schema"]["type"] == "string"
    assert set(ordering["schema"]["enum"]) == {
        *("created_at", "-created_at", "last_name", "-last_name", "status", "-status")
    }


@pytest.mark.django_db
def test_resume_download_is_binary_offered_first_as_octet_stream(schema):
    content = schema["paths"]["/api/v1/leads/{id}/resume/"]["get"]["responses"]["200"]["content"]

    assert next(iter(content)) == "application/octet-stream"
    assert {media["schema"]["format"] for media in content.values()} == {"binary"}


@pytest.mark.django_db
def test_token_authentication_is_an_api_key_in_the_authorization_header(schema):
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]

    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert '"Token"' in scheme["description"]


@pytest.mark.django_db
def test_schema_documents_the_error_responses(api_client):
    schema = api_client.get("/api/v1/schema/").json()

    responses = schema["paths"]["/api/v1/leads/{id}/"]["patch"]["responses"]
    assert {"200", "400", "401", "403", "404", "429"} <= set(responses)


@pytest.mark.django_db
def test_docs_page_has_no_inline_script_or_style(api_client):
    response = api_client.get("/api/v1/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_docs_script_is_served_as_javascript(api_client):
    response = api_client.get("/api/v1/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_works_under_the_csp_and_calls_the_api_with_a_token(live_server, page, integration):
    # The server is asked for before the page, so the page closes first at teardown.
    _, key = services.issue_token(user=integration)
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(f"{live_server.url}/api/v1/docs/")
    page.get_by_text("/api/v1/leads/stats/").wait_for()
    page.get_by_role("button", name="Authorize").first.click()
    token_form = page.locator("form", has_text="tokenAuth")
    token_form.locator("input").fill(f"Token {key}")
    token_form.get_by_role("button", name="Apply credentials").click()
    page.get_by_role("button", name="Close").first.click()
    page.locator("#operations-users-users_me_retrieve").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()

    live = page.locator(".live-responses-table tbody .response")
    live.wait_for()
    assert live.locator(".response-col_status").inner_text().strip() == "200"
    assert '"username": "integration"' in live.locator(".response-col_description").inner_text()
    assert problems == []
