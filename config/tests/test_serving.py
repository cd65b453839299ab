import os
import subprocess
import sys

from config.testing import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": ""}  # the real environment beats .env
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_web_server_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run("-c", "import config.wsgi")

    assert result.returncode != 0
    assert "SECRET_KEY must be set to serve" in result.stderr


def test_commands_that_serve_nothing_run_without_secret_key():
    result = run("manage.py", "makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stderr
