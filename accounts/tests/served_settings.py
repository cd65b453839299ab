"""The production settings as the sign-in tests serve them with gunicorn: the suite's fast
password hasher (the test users' passwords are hashed with it), static files by plain names."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
