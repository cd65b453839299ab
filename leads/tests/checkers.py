"""The resume checker processes (leads.validators.ResumeChecker) as tests drive them: stopped,
as if a hostile file had hung them, and waited on."""

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from leads.validators import ResumeChecker


@contextmanager
def idle_checkers_stopped() -> Iterator[list[int]]:
    """Every idle checker process stopped (SIGSTOP), as if it hung, until the block ends;
    yields their process ids."""
    stopped = [checker.process.pid for checker in ResumeChecker.idle]
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield stopped
    finally:
        for pid in stopped:
            with suppress(ProcessLookupError):  # one that was killed meanwhile
                os.kill(pid, signal.SIGCONT)


def wait_for(condition, *, timeout: float, what: str) -> None:
    """Return once `condition()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)
