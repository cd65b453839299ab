"""`manage.py db_worker`: the worker loop of leads.worker.runner (it survives database outages
and runs again the tasks of a worker that died), with every option of django_tasks_db's own
command, which it overrides (`leads` comes before `django_tasks_db` in INSTALLED_APPS)."""

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from leads.worker.runner import ResilientWorker


class Command(db_worker.Command):
    help = (
        "Run the background worker (emails, webhooks, resume text). It survives database "
        "outages and runs again tasks whose worker died (TASK_STALE_SECONDS)."
    )

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, reload,
               max_tasks, worker_id, exclude_queues, **options) -> None:  # fmt: skip
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the reloaded child handles signals
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
