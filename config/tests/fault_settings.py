"""The production settings with config.tests.fault_urls (two views that need the database)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "config.tests.fault_urls"
