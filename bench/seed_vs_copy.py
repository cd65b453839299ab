"""`seed_leads --count N` against a plain COPY of the same rows. Run by hand, PostgreSQL only:

    .venv/bin/python bench/seed_vs_copy.py [--count 1000000] [--rounds 2] [--db-prefix leads_seedbench]

Per round: in a fresh migrated database `<prefix>_seed`, `manage.py seed_leads --count N` is
timed end to end (generating, loading, computing the search vectors, building the indexes,
ANALYZE). Its two tables are then written out with COPY TO, every column (search vectors
included): the very rows the seeder left. In a fresh migrated `<prefix>_copy` those files
are COPYed (psycopg, one transaction) into the migrated tables, every index maintained row
by row ("COPY, indexes live"), and again, after TRUNCATE, into the same tables without their
secondary indexes ("COPY, bare tables": the floor, with no index built and no vector
computed). Prints each figure, the medians and seed ÷ COPY.
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
USERS = "accounts_user"  # the demo attorneys the leads refer to: loaded first, not timed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db-prefix", default="leads_seedbench")
    parser.add_argument("--no-live", action="store_true", help='skip "COPY, indexes live" (slow)')
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
        if floor in medians:
            print(f"  seed_leads ÷ {floor:<19} {medians['seed_leads'] / medians[floor]:7.2f}")


def one_round(args) -> dict[str, float]:
    copy_db, seed_db = f"{args.db_prefix}_copy", f"{args.db_prefix}_seed"
    figures = {}
    for name in (copy_db, seed_db):
        fresh_database(name)
    started = time.perf_counter()
    manage(seed_db, "seed_leads", "--count", str(args.count), "--verbosity", "0")
    figures["seed_leads"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="seedbench-") as tmp:
        with psycopg.connect(f"{PG}/{seed_db}") as db:
            write_files(db, Path(tmp))
        with psycopg.connect(f"{PG}/{copy_db}") as db:
            copy_files(db, Path(tmp), [USERS])
            if not args.no_live:
                figures["COPY, indexes live"] = copy_files(db, Path(tmp))
                with db.cursor() as cursor:
                    # The tables that refer to leads are empty: CASCADE empties nothing more.
                    cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
            with db.cursor() as cursor:
                for name in secondary_indexes(cursor):
                    cursor.execute(f'DROP INDEX "{name}"')
            db.commit()
            figures["COPY, bare tables"] = copy_files(db, Path(tmp))
    for name in (copy_db, seed_db):
        drop_database(name)
    return figures


def write_files(db: psycopg.Connection, folder: Path) -> None:
    """Each table's rows, every column, as COPY text in `<table>.tsv`."""
    with db.cursor() as cursor:
        for table in [USERS, *TABLES]:
            with open(folder / f"{table}.tsv", "wb") as out, cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    out.write(block)


def copy_files(db: psycopg.Connection, folder: Path, tables: list[str] = TABLES) -> float:
    """Seconds to COPY the tables' files back in, in one transaction."""
    started = time.perf_counter()
    with db.cursor() as cursor:
        for table in tables:
            with open(folder / f"{table}.tsv", "rb") as data, cursor.copy(f"COPY {table} FROM STDIN") as copy:
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
