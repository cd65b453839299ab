import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leads.tests.factories import MINIMAL_PDF


@pytest.fixture
def attorney_api_client(attorney):
    """The Attorneys group: view and change leads, but not add or delete."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=attorney)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def no_perms_client(staff_without_view):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=staff_without_view)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def pdf():
    return SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
