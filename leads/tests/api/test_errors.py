"""Every error under /api/ is JSON, whatever raised it."""

import pytest
from django.urls import path
from rest_framework.test import APIClient

from config.urls import urlpatterns as site_urlpatterns
from leads.tests.factories import LeadFactory


def boom(request):
    raise RuntimeError("a bug")


# A urlconf with one broken view under /api/, to see what the 500 handler answers.
urlpatterns = [path("api/v1/boom/", boom), *site_urlpatterns]
handler500 = "config.errors.server_error"
handler404 = "config.errors.page_not_found"


@pytest.mark.django_db
def test_unknown_url_under_api_is_a_json_404(integration_client):
    response = integration_client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_unknown_url_outside_api_is_not_json(client):
    response = client.get("/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_crash_under_api_is_a_json_500_without_a_traceback(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/boom/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


@pytest.mark.django_db
def test_wrong_method_is_a_json_405(integration_client):
    response = integration_client.post("/api/v1/leads/stats/")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


@pytest.mark.django_db
def test_malformed_json_is_a_400_in_the_documented_shape(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.patch(
        f"/api/v1/leads/{lead.pk}/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert "JSON parse error" in response.json()["non_field_errors"][0]


@pytest.mark.django_db
def test_malformed_multipart_is_a_400_in_the_documented_shape(integration_client):
    response = integration_client.generic(
        "POST",
        "/api/v1/leads/",
        b"--xyz\r\nContent-Disposition: form-data; name=",
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["non_field_errors"] and isinstance(body["non_field_errors"], list)


@pytest.mark.django_db
def test_too_many_fields_under_api_is_a_400_in_the_documented_shape(integration_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5

    response = integration_client.post(
        "/api/v1/leads/", {f"f{n}": "x" for n in range(10)}, format="multipart"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


@pytest.mark.django_db
def test_unsupported_media_type_is_a_json_415(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.patch(f"/api/v1/leads/{lead.pk}/", "x", content_type="text/plain")

    assert response.status_code == 415
    assert "detail" in response.json()


@pytest.mark.django_db
def test_session_write_without_csrf_token_is_a_json_403(attorney):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(attorney)

    response = client.post("/api/v1/leads/00000000-0000-0000-0000-000000000000/reach-out/")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_anonymous_requests_past_the_rate_are_a_429_with_retry_after(api_client):
    # API_ANON_RATE defaults to 60/minute per client address; the docs page is anonymous.
    for _ in range(60):
        assert api_client.get("/api/v1/docs/?script=").status_code == 200

    response = api_client.get("/api/v1/docs/")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    assert "detail" in response.json()


@pytest.mark.django_db
def test_docs_page_answers_a_wrong_method_in_json(api_client):
    response = api_client.post("/api/v1/docs/")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


@pytest.mark.django_db
def test_a_browser_gets_json_not_the_browsable_api(api_client):
    response = api_client.get("/api/v1/leads/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
