"""PORT: `make run` serves on it, and the default SITE_URL (the emails' links) follows it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SITE_URL = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"


def site_url(**env) -> str:
    environment = {name: value for name, value in os.environ.items() if name not in {"PORT", "SITE_URL"}}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 50, **env}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SITE_URL],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_follows_port():
    assert site_url(PORT="18000") == "http://localhost:18000"


def test_site_url_defaults_to_port_8000():
    assert site_url() == "http://localhost:8000"


def test_an_explicit_site_url_wins_over_port():
    assert site_url(PORT="18000", SITE_URL="https://intake.firm.example/") == "https://intake.firm.example"
