"""The loop `manage.py db_worker` runs: django_tasks_db's worker, made to survive what
production does to it.

- A database outage (PostgreSQL restarting, a network blip) no longer ends the process: the
  worker logs once, drops its connections, retries with a capped backoff and logs again when
  the database is back. The library's worker raises and exits instead.
- A task left RUNNING by a worker that died (SIGKILL, OOM, a lost machine) is made READY
  again once it has run longer than TASK_STALE_SECONDS, so another worker runs it; a
  delivery's own claim (`DeliveryQuerySet.claim`) still lets only one attempt send.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .. import rollup
from . import erasure, followups

logger = logging.getLogger("leads.worker")

# What the database going away looks like (psycopg's errors arrive wrapped as these).
DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_ERROR_PATHS = {f"{error.__module__}.{error.__qualname__}" for error in DATABASE_ERRORS}
OUTAGE_BACKOFF_START = 0.5
OUTAGE_BACKOFF_MAX = 10.0


class ResilientWorker(db_worker.Worker):
    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(self.interval)  # spread workers started together
        outage_since: float | None = None
        backoff = OUTAGE_BACKOFF_START
        next_stale_check = 0.0
        next_follow_up = 0.0
        interrupted = None  # the task this worker was running when the database went away
        while self.running:
            try:
                if interrupted is not None:
                    self.requeue(interrupted)
                    interrupted = None
                if time.monotonic() >= next_stale_check:
                    self.requeue_stale_tasks()
                    self.purge_trash()
                    next_stale_check = time.monotonic() + stale_check_interval()
                if time.monotonic() >= next_follow_up:
                    # Speed to lead's periodic pass (one indexed probe when nothing is due).
                    next_follow_up = time.monotonic() + settings.FOLLOW_UP_INTERVAL_SECONDS
                    self.follow_up()
                    self.fold_conversion()
                task_result, queue_was_read = self.take_one()
                if outage_since is not None:
                    logger.warning(
                        "Database reachable again after %.0f s; worker %s resumes.",
                        time.monotonic() - outage_since,
                        self.worker_id,
                    )
                    outage_since, backoff = None, OUTAGE_BACKOFF_START
                if task_result is not None:
                    interrupted = task_result.id
                    self.run_task(task_result)
                    interrupted = None
            except DATABASE_ERRORS as exc:
                if outage_since is None:
                    outage_since = time.monotonic()
                    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    logger.error(
                        "Database unavailable (%s); worker %s waits and retries.", reason, self.worker_id
                    )
                for connection in connections.all(initialized_only=True):
                    connection.close_if_unusable_or_obsolete()
                time.sleep(backoff)
                backoff = min(backoff * 2, OUTAGE_BACKOFF_MAX)
                continue

            if self.batch and queue_was_read and task_result is None:
                logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran the maximum of %d tasks; worker %s exits.", self._run_tasks, self.worker_id)
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def follow_up(self) -> None:
        """Speed to lead's pass. The database going away is the loop's to handle (it waits
        and retries); any other fault is logged and the worker goes on with its tasks."""
        try:
            followups.periodic_pass()
        except DATABASE_ERRORS:
            raise
        except Exception:
            logger.exception("The speed-to-lead pass failed; the worker goes on and tries again.")

    def fold_conversion(self) -> None:
        """The conversion report's fold (leads.rollup; two small reads when nothing is due).
        As follow_up: the database going away is the loop's, any other fault is logged."""
        try:
            rollup.fold()
        except DATABASE_ERRORS:
            raise
        except Exception:
            logger.exception("The conversion rollup's fold failed; the worker goes on and tries again.")

    def take_one(self) -> tuple[DBTaskResult | None, bool]:
        """Claim the next ready task, if any; returns it and whether the queue could be read."""
        close_old_connections()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)  # so no other worker takes it
        except DATABASE_ERRORS as exc:
            if is_locked_database_exception(exc):  # SQLite busy: try again next round
                return None, False
            raise
        return task_result, True

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        # A task that failed because the database went away mid-run (its transaction rolled
        # back) is not a failure of the task: it runs again, a little later.
        if (
            db_task_result.status == TaskResultStatus.FAILED
            and db_task_result.exception_class_path in DATABASE_ERROR_PATHS
        ):
            db_task_result.status = TaskResultStatus.READY
            db_task_result.run_after = timezone.now() + timedelta(seconds=OUTAGE_BACKOFF_MAX)
            db_task_result.save(update_fields=["status", "run_after"])
            logger.warning("Task %s lost the database mid-run; it will run again.", db_task_result.id)

    def requeue(self, task_id) -> None:
        """READY again: the task whose outcome could not be recorded during an outage (its
        transaction rolled back; a delivery it was sending keeps its claim, so it is not
        sent twice)."""
        if DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY
        ):
            logger.warning("Task %s was interrupted by the outage; it will run again.", task_id)

    def requeue_stale_tasks(self) -> int:
        """READY again: tasks RUNNING for longer than TASK_STALE_SECONDS (their worker died)."""
        cutoff = timezone.now() - timedelta(seconds=settings.TASK_STALE_SECONDS)
        requeued = DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, backend_name=self.backend_name, started_at__lt=cutoff
        ).update(status=TaskResultStatus.READY)
        if requeued:
            logger.warning("Requeued %d task(s) left running by a worker that stopped.", requeued)
        return requeued

    def purge_trash(self) -> int:
        """Erase the leads whose LEAD_TRASH_DAYS in the trash are over (leads.worker.erasure;
        safe with any number of workers)."""
        erased = erasure.purge_trash()
        if erased:
            logger.info("Erased %d lead(s) whose time in the trash was over.", erased)
        return erased


def stale_check_interval() -> float:
    """Look for stale tasks a few times per TASK_STALE_SECONDS, at most every 60 s."""
    return min(max(settings.TASK_STALE_SECONDS / 4, 1.0), 60.0)
