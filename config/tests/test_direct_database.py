"""DATABASE_DIRECT_URL: migrations bypass the pooler in DATABASE_URL; the web server does not."""

import os
import sqlite3
import subprocess
import sys
import urllib.request
import uuid

import psycopg
import pytest
from django.db import connection

from config.testing import ROOT, gunicorn


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def environment(pooled_url: str, direct_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": pooled_url,
        "DATABASE_DIRECT_URL": direct_url,
        "SECRET_KEY": "direct-database-test-key",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
    }


def applied_migrations(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0]


def test_migrate_builds_the_schema_through_the_direct_url_only(tmp_path):
    pooled, direct = tmp_path / "pooled.sqlite3", tmp_path / "direct.sqlite3"

    result = manage(environment(f"sqlite:///{pooled}", f"sqlite:///{direct}"), "migrate", "--no-input")

    assert result.returncode == 0, result.stderr
    assert applied_migrations(direct) > 0
    assert not pooled.exists()  # not even opened: the checks before migrating went direct too


def test_seed_leads_loads_through_the_direct_url(tmp_path):
    pooled, direct = tmp_path / "pooled.sqlite3", tmp_path / "direct.sqlite3"
    env = {**environment(f"sqlite:///{pooled}", f"sqlite:///{direct}"), "MEDIA_ROOT": str(tmp_path / "media")}
    assert manage(env, "migrate", "--no-input").returncode == 0

    result = manage(env, "seed_leads", "--count", "5")

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(direct) as db:
        assert db.execute("SELECT COUNT(*) FROM leads_lead").fetchone() == (5,)
    assert not pooled.exists()


def test_the_web_server_answers_from_the_pooled_url(tmp_path):
    pooled = tmp_path / "pooled.sqlite3"
    # A direct URL that cannot be opened: the web server must never need it.
    env = environment(f"sqlite:///{pooled}", f"sqlite:///{tmp_path / 'missing' / 'direct.sqlite3'}")

    with gunicorn(env, ready_path="/healthz/") as base, urllib.request.urlopen(base + "/readyz/") as response:
        status = response.status

    assert status == 200
    assert pooled.exists()


@pytest.mark.postgres_only(reason="two PostgreSQL databases")
def test_migrate_on_postgresql_goes_to_the_direct_database():
    server = connection.settings_dict
    base = f"postgres://{server['USER']}@{server['HOST']}:{server['PORT']}"
    names = {role: f"leads_direct_test_{role}_{uuid.uuid4().hex[:8]}" for role in ("pooled", "direct")}
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    try:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')

        result = manage(
            environment(f"{base}/{names['pooled']}", f"{base}/{names['direct']}"), "migrate", "--no-input"
        )

        assert result.returncode == 0, result.stderr
        tables = {}
        for role, name in names.items():
            with psycopg.connect(f"{base}/{name}") as db:
                tables[role] = db.execute("SELECT to_regclass('django_migrations') IS NOT NULL").fetchone()[0]
        assert tables == {"pooled": False, "direct": True}
    finally:
        for name in names.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_direct_url_of_another_kind_of_database_is_refused(tmp_path):
    env = environment(f"sqlite:///{tmp_path / 'pooled.sqlite3'}", "postgres://nobody@127.0.0.1:1/none")

    result = manage(env, "migrate", "--no-input")

    assert result.returncode != 0
    assert "DATABASE_DIRECT_URL must name the same kind of database" in result.stderr
