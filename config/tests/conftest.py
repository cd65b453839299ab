import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # DEBUG=false means the manifest storage, which needs collectstatic; pages that link
    # static files render without it here (test_static_files.py runs collectstatic).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
