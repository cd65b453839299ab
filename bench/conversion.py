"""The conversion report at 10,000 and 1,000,000 leads (issue 27). Run by hand:

    .venv/bin/python bench/conversion.py [--sizes 10000,1000000] [--db-prefix leads_f27]

For each size: a database `<prefix>_<size>` (created, migrated and seeded with seed_leads when
it holds a different number of leads; then about a third of the leads closed with an outcome
by one UPDATE; seven in eight assigned to one of eight attorneys by another where they are
not yet, and ANALYZE; then, where the checkout has the rollup (leads/rollup.py), the rollup
rebuilt, since those UPDATEs went around the services). Then, 11 runs each, medians in
milliseconds and the 1M ÷ 10k ratios of:

- `served`: the report as the API and the dashboard get it (`selectors.conversion`) with
  nothing cached (the shared cache cleared before every run), by source and by assigned_to,
  over the whole table and over the dashboard's quarter (from midnight 13 weeks ago);
- `served, 5 stale days`: the quarter by source with five of its days marked stale (read
  live), as after attorneys closed leads of five different days since the last fold;
- `computed afresh`: `selectors._conversion`, the grouped query over every lead;
- `fold`: the worker's fold of those five stale days (once, not a median);
- `a day live`: the quarter with yesterday read live too (its fold undone for the runs and
  put back), what the report costs late in the day, when today's leads are a day's worth.

The same script measures a checkout without the rollup (main before issue 27): run it from
that checkout's bench/ directory (it runs the report in a child process of its own ROOT).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
RUNS = 11

CLOSE_SOME = """
UPDATE leads_lead SET
  status = (ARRAY['RETAINED','DECLINED','REFERRED','NO_RESPONSE'])[1 + (hashtext(id::text) & 3)],
  status_before_close = status,
  closed_at = created_at + make_interval(hours => 1 + (hashtext(id::text) & 255)),
  outcome_reason = 'bench'
WHERE status IN ('PENDING', 'REACHED_OUT') AND (hashtext(id::text) % 3) = 0
"""
# Eight attorneys (seed_leads assigns leads only to attorneys that exist when it runs).
ATTORNEYS = """
from django.contrib.auth.models import Group
from accounts.models import ATTORNEYS_GROUP, User
group = Group.objects.get(name=ATTORNEYS_GROUP)
for n in range(8):
    user, _ = User.objects.get_or_create(
        username=f"bench-attorney-{n}",
        defaults={"email": f"bench-attorney-{n}@firm.example", "is_staff": True},
    )
    user.groups.add(group)
"""
# Seven leads in eight assigned to one of them.
ASSIGN_SOME = """
UPDATE leads_lead SET assigned_to_id = (
  SELECT array_agg(id ORDER BY username) FROM accounts_user WHERE username LIKE 'bench-attorney-%'
)[1 + (hashtext(id::text || 'a') & 7)]
WHERE (hashtext(id::text || 'b') & 7) <> 0
"""


def prepare(size: int, prefix: str) -> str:
    name = f"{prefix}_{size}"
    url = f"{PG}/{name}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "bench"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    fresh = psql_value(name, "SELECT count(*) FROM leads_lead") != str(size)
    if fresh:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*manage, "seed_leads", "--count", str(size)], env=env, check=True)
        psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-c"]
        subprocess.run([*psql, CLOSE_SOME], check=True)
    assigned = psql_value(name, "SELECT count(*) FROM accounts_user WHERE username LIKE 'bench-attorney-%'")
    if fresh or assigned != "8":
        fresh = True
        subprocess.run([*manage, "shell", "-c", ATTORNEYS], env=env, check=True)
        psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-c"]
        subprocess.run([*psql, ASSIGN_SOME], check=True)
        subprocess.run([*psql, "ANALYZE"], check=True)
    if (ROOT / "leads" / "rollup.py").exists():
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        folded = psql_value(name, "SELECT folded_until IS NOT NULL FROM leads_conversionfold")
        if fresh or folded != "t":
            started = time.monotonic()
            subprocess.run([*manage, "fold_conversion", "--rebuild"], env=env, check=True)
            print(f"{size:>9}  rollup rebuilt in {time.monotonic() - started:.1f} s", flush=True)
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-c", "ANALYZE"], check=True
            )
    return url


def psql_value(name: str, sql: str) -> str:
    """The one value `sql` reads from database `name` ("" when it fails)."""
    command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-Atc", sql]
    return subprocess.run(command, capture_output=True, text=True).stdout.strip()


MEASURE = """
import os, statistics, time, json
from datetime import timedelta
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()
from django.core.cache import caches
from django.utils import timezone
from leads import selectors
try:
    from leads import rollup
    from leads.models import ConversionStaleDay
except ImportError:
    rollup = None
out = {}
def median_ms(fn):
    times = []
    for _ in range(RUNS):
        caches["shared"].clear()
        start = time.perf_counter(); fn(); times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)
quarter = (timezone.now() - timedelta(weeks=13)).replace(hour=0, minute=0, second=0, microsecond=0)
for by in ("source", "assigned_to"):
    out[f"served by={by}"] = median_ms(lambda: selectors.conversion(by=by))
    out[f"served by={by}, quarter"] = median_ms(lambda: selectors.conversion(by=by, created_after=quarter))
if rollup is not None:
    today = timezone.now().date()
    for n in (3, 10, 20, 40, 60):
        day = today - timedelta(days=n)
        ConversionStaleDay.objects.update_or_create(day=day, defaults={"marked_at": timezone.now()})
    out["served by=source, quarter, 5 stale days"] = median_ms(
        lambda: selectors.conversion(by="source", created_after=quarter)
    )
    start = time.perf_counter()
    rollup.fold()
    out["fold of 5 stale days (once)"] = round((time.perf_counter() - start) * 1000, 2)
    from leads.models import ConversionFold
    state = ConversionFold.objects.get()
    folded_until, cut = state.folded_until, getattr(state, "cut", None)
    yesterday = folded_until - timedelta(days=1)
    # A whole day read live (yesterday unfolded stands in for a day's worth of today's leads):
    # late in the day before the day under way was folded as it went, or with no worker.
    fields = {"folded_until": yesterday} | ({"cut": None} if cut is not None else {})
    ConversionFold.objects.update(**fields)
    out["served by=source, quarter, a day live"] = median_ms(
        lambda: selectors.conversion(by="source", created_after=quarter)
    )
    out["served by=assigned_to, quarter, a day live"] = median_ms(
        lambda: selectors.conversion(by="assigned_to", created_after=quarter)
    )
    if cut is not None:
        # Late in the day as the worker keeps it: yesterday stands in for the day under way,
        # folded up to FOLD_MARGIN before its end; the leads since then are read live.
        end = rollup.midnight(folded_until)
        rollup.fold(now=end)
        out["served by=source, quarter, late in the day"] = median_ms(
            lambda: selectors.conversion(by="source", created_after=quarter)
        )
        out["served by=assigned_to, quarter, late in the day"] = median_ms(
            lambda: selectors.conversion(by="assigned_to", created_after=quarter)
        )
        rollup.fold()
    else:
        ConversionFold.objects.update(folded_until=folded_until)
for by in ("source", "assigned_to"):
    out[f"computed afresh by={by}"] = median_ms(lambda: selectors._conversion(by, None, None))
print(json.dumps(out))
"""


def measure(url: str) -> dict[str, float]:
    """Runs in a child process with DATABASE_URL set: medians in ms."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "bench"}
    code = MEASURE.replace("RUNS", str(RUNS))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--db-prefix", default="leads_f27")
    args = parser.parse_args()
    results = {}
    for size in map(int, args.sizes.split(",")):
        started = time.monotonic()
        url = prepare(size, args.db_prefix)
        print(f"{size:>9} leads ready in {time.monotonic() - started:.0f} s", flush=True)
        results[size] = measure(url)
        for what, ms in results[size].items():
            print(f"{size:>9}  {what:<42} {ms:>9.2f} ms", flush=True)
    sizes = sorted(results)
    if len(sizes) == 2:
        small, large = sizes
        for what in results[small]:
            ratio = results[large][what] / results[small][what] if results[small][what] else float("nan")
            print(f"ratio {large}/{small}  {what:<42} {ratio:>7.2f}x")


if __name__ == "__main__":
    main()
