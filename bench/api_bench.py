"""Time the API's list, filter, search and stats at scale. Run by hand, never in CI:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_bench DEBUG=true \\
        python bench/api_bench.py --rows 1000000

Fills the table once with one INSERT ... SELECT generate_series (70% PENDING, two years of
creation times), then prints the median of a few requests per endpoint through Django's test
client (no HTTP server).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts import services  # noqa: E402
from accounts.models import User  # noqa: E402
from leads.models import Lead  # noqa: E402

FILL_SQL = """
INSERT INTO leads_lead (id, first_name, last_name, email, resume, status, created_at, updated_at,
                        reached_out_at, source, referrer)
SELECT gen_random_uuid(), 'First' || n, 'Last' || n, 'bench' || n || '@example.com',
       'resumes/bench.pdf', CASE WHEN n %% 10 < 7 THEN 'PENDING' ELSE 'REACHED_OUT' END,
       now() - (n %% 730) * interval '1 day' - (n %% 86400) * interval '1 second', now(),
       CASE WHEN n %% 10 < 7 THEN NULL
            ELSE now() - (n %% 730) * interval '1 day' + (n %% 7200) * interval '1 second' END,
       '', ''
FROM generate_series(%s, %s) AS n
"""


def load(rows: int) -> None:
    have = Lead.objects.count()
    if have >= rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(FILL_SQL, [have + 1, rows])
        cursor.execute("ANALYZE leads_lead")


def median_ms(client: Client, url: str, repeat: int) -> tuple[float, int]:
    times, status = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        status = client.get(url).status_code
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL.")
    call_command("migrate", verbosity=0)
    load(args.rows)
    user, _ = User.objects.get_or_create(username="bench", defaults={"email": "bench@example.com"})
    user.is_superuser = True
    user.save()
    _, key = services.issue_token(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", headers={"host": "localhost"})
    for url in [
        "/api/v1/leads/",
        "/api/v1/leads/?page_size=100",
        "/api/v1/leads/?page=100&page_size=100",
        "/api/v1/leads/?status=PENDING",
        "/api/v1/leads/?created_after=2026-01-01T00:00:00Z",
        "/api/v1/leads/?search=bench12345@",
        "/api/v1/leads/?ordering=last_name",
        "/api/v1/leads/stats/",
    ]:
        ms, status = median_ms(client, url, args.repeat)
        print(f"{ms:8.1f} ms  {status}  {url}")


if __name__ == "__main__":
    main()
