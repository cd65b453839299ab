import pytest
from django.db import OperationalError

from config import errors

# The 503 path closes broken connections, so it needs (autocommit) database access.
pytestmark = pytest.mark.django_db(transaction=True)


def test_database_error_raised_outside_a_view_answers_503_not_500(rf):
    request = rf.get("/api/v1/leads/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = errors.server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"]


def test_other_errors_under_the_api_answer_json_500(rf):
    request = rf.get("/api/v1/leads/")
    try:
        raise RuntimeError("bug")
    except RuntimeError:
        response = errors.server_error(request)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
