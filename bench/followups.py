"""Time speed to lead's periodic pass and its due query at two table sizes. Run by hand
against PostgreSQL; never part of CI.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_f29_1000000 \\
        .venv/bin/python bench/followups.py [--runs 200] [--ahead 0.1] [--due 50]

On a seeded table (`seed_leads`), gives `--ahead` of the leads a next look in the coming ten
days (what open leads carry in steady state) and none to the rest, then prints the median
and p95 of: the pass when nothing is due (what every worker runs every
FOLLOW_UP_INTERVAL_SECONDS), and the due query itself (the locked SELECT of take_steps) with
`--due` leads due, inside a transaction rolled back, with its plan.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
# The digest would queue emails to the seeded attorneys: not what is measured here.
os.environ.setdefault("DIGEST_ENABLED", "false")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from leads.models import Lead  # noqa: E402
from leads.worker import followups  # noqa: E402


def timed(function, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def prepare(ahead: float, due: int) -> int:
    """Steady state: a share of leads with a look ahead, `due` of them due a minute ago."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE leads_lead SET next_follow_up_at = NULL WHERE next_follow_up_at IS NOT NULL")
        cursor.execute(
            "UPDATE leads_lead SET next_follow_up_at = now() + random() * interval '10 days' "
            "WHERE random() < %s",
            [ahead],
        )
        cursor.execute("VACUUM ANALYZE leads_lead")
    return Lead.objects.filter(next_follow_up_at__isnull=False).count()


def make_due(due: int) -> None:
    ids = list(Lead.objects.filter(next_follow_up_at__isnull=False).values_list("pk", flat=True)[:due])
    Lead.objects.filter(pk__in=ids).update(next_follow_up_at=timezone.now() - timedelta(minutes=1))


def due_query():
    with transaction.atomic():
        list(
            Lead.objects.for_lists()
            .filter(next_follow_up_at__lte=timezone.now())
            .select_related("assigned_to")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_follow_up_at")[: followups.PASS_LIMIT]
        )
        transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--ahead", type=float, default=0.1)
    parser.add_argument("--due", type=int, default=50)
    args = parser.parse_args()
    total = Lead.objects.count()
    looks = prepare(args.ahead, args.due)
    print(f"{total:,} leads, {looks:,} with a look ahead")
    idle = timed(followups.periodic_pass, args.runs)
    print(f"pass, nothing due: median {idle[0]:.2f} ms, p95 {idle[1]:.2f} ms")
    make_due(args.due)
    busy = timed(due_query, args.runs)
    print(f"due query ({args.due} due): median {busy[0]:.2f} ms, p95 {busy[1]:.2f} ms")
    executions, plan = [], []
    for _ in range(args.runs):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM leads_lead WHERE next_follow_up_at <= now() "
                "ORDER BY next_follow_up_at LIMIT %s FOR UPDATE SKIP LOCKED",
                [followups.PASS_LIMIT],
            )
            plan = [row[0] for row in cursor.fetchall()]
            executions.append(float(plan[-1].split(":")[1].split()[0]))
            transaction.set_rollback(True)
    print(f"due query in the database (EXPLAIN ANALYZE): median {statistics.median(executions):.3f} ms")
    print("\n".join(plan))
    Lead.objects.filter(next_follow_up_at__lte=timezone.now()).update(next_follow_up_at=None)


if __name__ == "__main__":
    main()
