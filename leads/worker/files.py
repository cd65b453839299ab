"""Removing the stored files of deleted rows, after their deletion committed: one task,
retried with backoff while the storage refuses (a file is never left behind silently)."""

import logging

from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone

from leads.models import SHARED_RESUME_PREFIX, Lead

from .failures import RetryPolicy

logger = logging.getLogger(__name__)

# A file that could not be removed is tried again 30 s later, then 1 min, 2 min ... at most
# an hour apart (about 4.5 hours in all); after the last attempt the task fails (visible
# in the admin's task results) and purge_leads' orphan sweep removes the file later.
FILE_REMOVAL_RETRY = RetryPolicy(max_attempts=10, base_seconds=30, max_seconds=3600)


class FilesNotRemoved(Exception):
    """Files the storage refused to remove at every attempt."""


@task
def remove_files(names: list[str], attempt: int = 1) -> str:
    """Remove stored files whose rows are gone; a shared file only once no lead points at it.

    What the storage fails to remove is queued again (this task) with backoff; the
    names are the random ones files are stored under, never anything of the prospect.
    """
    failed, reason = [], ""
    for name in names:
        if name.startswith(SHARED_RESUME_PREFIX) and Lead.all_objects.filter(resume=name).exists():
            continue
        try:
            default_storage.delete(name)
        except Exception as exc:  # whatever the storage raises: OSError, botocore's errors, ...
            failed.append(name)
            reason = type(exc).__name__
    if not failed:
        return f"removed {len(names)}"
    if attempt >= FILE_REMOVAL_RETRY.max_attempts:
        raise FilesNotRemoved(f"{len(failed)} file(s) not removed after {attempt} attempts ({reason})")
    delay = FILE_REMOVAL_RETRY.delay(attempt)
    remove_files.using(run_after=timezone.now() + delay).enqueue(failed, attempt + 1)
    logger.warning(
        "%d of %d file(s) not removed (%s); attempt %d of %d in %d s",
        len(failed),
        len(names),
        reason,
        attempt + 1,
        FILE_REMOVAL_RETRY.max_attempts,
        delay.total_seconds(),
    )
    return f"removed {len(names) - len(failed)}; {len(failed)} to retry"
