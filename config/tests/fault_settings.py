"""The production settings with config.tests.fault_urls (two views that need the database)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "config.tests.fault_urls"

# Static files are not this test's subject: plain names, so no collectstatic manifest is needed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
