"""collectstatic produces hashed, compressed files; whitenoise serves them under the CSP,
and the admin's pages load their styles and scripts without a CSP violation."""

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config.testing import ROOT, gunicorn


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("prod")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{root}/db.sqlite3",
        "STATIC_ROOT": str(root / "static"),
        "SECURE_SSL_REDIRECT": "false",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


@pytest.fixture(scope="module")
def server(production_env):
    with gunicorn(production_env, ready_path="/admin/login/") as base:
        yield base


def manifest(env: dict) -> dict:
    return json.loads((Path(env["STATIC_ROOT"]) / "staticfiles.json").read_text())["paths"]


def test_collectstatic_writes_hashed_names(production_env):
    hashed = manifest(production_env)["admin/css/base.css"]

    assert hashed.startswith("admin/css/base.") and hashed != "admin/css/base.css"
    assert (Path(production_env["STATIC_ROOT"]) / hashed).exists()


def test_collectstatic_writes_compressed_copies(production_env):
    hashed = manifest(production_env)["admin/css/base.css"]

    assert (Path(production_env["STATIC_ROOT"]) / f"{hashed}.gz").exists()


def test_a_hashed_static_file_is_served_compressed_and_cached_for_good(server, production_env):
    hashed = manifest(production_env)["admin/css/base.css"]
    request = urllib.request.Request(f"{server}/static/{hashed}", headers={"Accept-Encoding": "gzip"})

    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.browser
def test_the_admin_login_loads_its_styles_without_csp_violations(server, page):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    page.goto(f"{server}/admin/login/")

    assert violations == []
    assert failed == []
    # base.css applied: the header bar has the admin's background, not the default transparent.
    background = page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
