import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import token_client
from leads.tests.documents import MINIMAL_PDF


@pytest.fixture
def attorney_api_client(attorney):
    """The Attorneys group: view and change leads, but not add or delete."""
    return token_client(attorney)


@pytest.fixture
def no_perms_client(staff_without_view):
    return token_client(staff_without_view)


@pytest.fixture
def pdf():
    return SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
