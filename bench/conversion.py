"""The conversion report at 10,000 and 1,000,000 leads (issue 27). Run by hand:

    .venv/bin/python bench/conversion.py [--sizes 10000,1000000] [--db-prefix leads_f27]

For each size: a database `<prefix>_<size>` (created, migrated and seeded with seed_leads when
it holds a different number of leads; then about a third of the leads closed with an outcome
by one UPDATE, and ANALYZE), then the report computed afresh (`selectors._conversion`, the
grouped query) for each grouping and the report as the API and dashboard get it
(`selectors.conversion`: reused from the shared cache on a large table), 5 runs each; prints
the medians in milliseconds and the 1M ÷ 10k ratios.
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
RUNS = 5

CLOSE_SOME = """
UPDATE leads_lead SET
  status = (ARRAY['RETAINED','DECLINED','REFERRED','NO_RESPONSE'])[1 + (hashtext(id::text) & 3)],
  status_before_close = status,
  closed_at = created_at + make_interval(hours => 1 + (hashtext(id::text) & 255)),
  outcome_reason = 'bench'
WHERE status IN ('PENDING', 'REACHED_OUT') AND (hashtext(id::text) % 3) = 0
"""


def prepare(size: int, prefix: str) -> str:
    name = f"{prefix}_{size}"
    url = f"{PG}/{name}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "bench"}
    count = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-Atc", "SELECT count(*) FROM leads_lead"],
        capture_output=True,
        text=True,
    )
    if count.returncode != 0 or count.stdout.strip() != str(size):
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*manage, "seed_leads", "--count", str(size)], env=env, check=True)
        psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-c"]
        subprocess.run([*psql, CLOSE_SOME], check=True)
        subprocess.run([*psql, "ANALYZE"], check=True)
    return url


def measure(url: str) -> dict[str, float]:
    """Runs in a child process with DATABASE_URL set: medians in ms."""
    code = f"""
import os, statistics, time, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()
from django.core.cache import caches
from leads import selectors
out = {{}}
def median_ms(fn):
    times = []
    for _ in range({RUNS}):
        start = time.perf_counter(); fn(); times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)
for by in ("source", "assigned_to"):
    out[f"computed by={{by}}"] = median_ms(lambda: selectors._conversion(by, None, None))
caches["shared"].clear()
selectors.conversion(by="source")  # fills the cache
out["served by=source"] = median_ms(lambda: selectors.conversion(by="source"))
print(json.dumps(out))
"""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "bench"}
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
            print(f"{size:>9}  {what:<26} {ms:>9.2f} ms", flush=True)
    sizes = sorted(results)
    if len(sizes) == 2:
        small, large = sizes
        for what in results[small]:
            ratio = results[large][what] / results[small][what] if results[small][what] else float("nan")
            print(f"ratio {large}/{small}  {what:<26} {ratio:>7.2f}x")


if __name__ == "__main__":
    main()
