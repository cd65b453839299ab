"""`seed_leads --count N` against a plain COPY of the same rows. Run by hand, PostgreSQL only:

    .venv/bin/python bench/seed_vs_copy.py [--count 1000000] [--rounds 2] [--db-prefix leads_seedbench]

Per round, in a fresh migrated database `<prefix>_copy`: seed_leads' own generator writes N
leads and their history to COPY text files (timed apart: "generate"), then the files are
COPYed (psycopg, one transaction) into the migrated tables, every index maintained row by
row ("COPY, indexes live"), and again, after TRUNCATE, into the same tables without their
secondary indexes ("COPY, bare tables": the floor, with no index built at all). Then, in a
fresh `<prefix>_seed`, `manage.py seed_leads --count N` is timed end to end (generating,
loading, building the indexes, ANALYZE). Prints each figure, the medians and seed ÷ COPY.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
TABLES = ["leads_lead", "leads_statuschange"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db-prefix", default="leads_seedbench")
    args = parser.parse_args()
    figures: dict[str, list[float]] = {}
    for round_number in range(1, args.rounds + 1):
        for name, seconds in one_round(args).items():
            figures.setdefault(name, []).append(seconds)
            print(f"round {round_number}: {name:<24} {seconds:7.1f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in figures.items()}
    print(f"\nmedians of {args.rounds} rounds, {args.count:,} leads:")
    for name, seconds in medians.items():
        print(f"  {name:<24} {seconds:7.1f} s")
    for floor in ("COPY, indexes live", "COPY, bare tables"):
        print(f"  seed_leads ÷ {floor:<19} {medians['seed_leads'] / medians[floor]:7.2f}")


def one_round(args) -> dict[str, float]:
    copy_db, seed_db = f"{args.db_prefix}_copy", f"{args.db_prefix}_seed"
    figures = {}
    for name in (copy_db, seed_db):
        fresh_database(name)
    with tempfile.TemporaryDirectory(prefix="seedbench-") as tmp:
        started = time.perf_counter()
        manage(copy_db, "shell", "-c", WRITE_ROWS.format(count=args.count, folder=tmp))
        figures["generate"] = time.perf_counter() - started
        with psycopg.connect(f"{PG}/{copy_db}") as db:
            figures["COPY, indexes live"] = copy_files(db, Path(tmp))
            with db.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(TABLES)}")
                for name in secondary_indexes(cursor):
                    cursor.execute(f'DROP INDEX "{name}"')
            db.commit()
            figures["COPY, bare tables"] = copy_files(db, Path(tmp))
    started = time.perf_counter()
    manage(seed_db, "seed_leads", "--count", str(args.count), "--verbosity", "0")
    figures["seed_leads"] = time.perf_counter() - started
    for name in (copy_db, seed_db):
        drop_database(name)
    return figures


# Run inside `manage.py shell` on the COPY database: seed_leads' generator, untouched, to files.
WRITE_ROWS = """
import random
from faker import Faker
from leads.management.commands import seed_leads
command = seed_leads.Command()
rng = random.Random(1)
fake = Faker()
fake.seed_instance(1)
rows = seed_leads.generate_rows(
    {count}, rng=rng, names=seed_leads.name_pools(fake), resume=command.seed_resume(),
    attorneys=command.attorney_ids(), chunk_size=50_000,
)
with open("{folder}/leads.tsv", "w") as leads, open("{folder}/changes.tsv", "w") as changes:
    for n, chunk in enumerate(rows):
        if n == 0:
            open("{folder}/columns", "w").write(",".join(chunk.leads) + "\\n" + ",".join(chunk.changes))
        leads.write(seed_leads.copy_text(chunk.leads))
        changes.write(seed_leads.copy_text(chunk.changes))
"""


def copy_files(db: psycopg.Connection, folder: Path) -> float:
    """Seconds to COPY the two files into their tables, in one transaction."""
    lead_columns, change_columns = (folder / "columns").read_text().splitlines()
    started = time.perf_counter()
    with db.cursor() as cursor:
        for table, columns, file in (
            ("leads_lead", lead_columns, "leads.tsv"),
            ("leads_statuschange", change_columns, "changes.tsv"),
        ):
            statement = f"COPY {table} ({columns}) FROM STDIN"
            with open(folder / file, "rb") as data, cursor.copy(statement) as copy:
                while block := data.read(1 << 20):
                    copy.write(block)
    db.commit()
    return time.perf_counter() - started


def secondary_indexes(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = ANY(%s::regclass[])"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        [TABLES],
    )
    return [name for (name,) in cursor.fetchall()]


def fresh_database(name: str) -> None:
    drop_database(name)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    manage(name, "migrate", "--no-input", "-v0")


def drop_database(name: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(database: str, *args: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{PG}/{database}",
        "DEBUG": "false",
        "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "seedbench-media"),
    }
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
