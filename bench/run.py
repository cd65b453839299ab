"""Benchmark the product against PostgreSQL at 10,000 and 1,000,000 leads. Run by hand.

    .venv/bin/python bench/run.py [--sizes 10000,1000000] [--duration 10] [--rounds 2] [--only a,b]

For each size: a database `<prefix>_<size>` (created, migrated and seeded with seed_leads
when it holds a different number of leads), gunicorn on 127.0.0.1 with bench.settings, and
wrk (loopback, --duration seconds per endpoint) against the floor views and every product
endpoint that exists (ENDPOINTS; missing ones are reported as missing), --rounds times,
then once the 50 MiB upload, the review's crafted PDF (issue 23) beside an ordinary
submission, and the full CSV export. Prints the medians of rps, p50 and p99, SQL queries per
request, the workers' peak memory, each product figure as a ratio to its floor, and writes
the results as JSON to bench/results/. The workers' CPU includes their resume checker
processes' (leads/resume_check.py), which do the content check.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repository's packages come from its root

from leads.demo import sample_pdf  # noqa: E402 (needs the path above)
from leads.tests.documents import review_chain_pdf  # noqa: E402

PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
CSRF = "b" * 32  # a fixed CSRF secret, sent as the cookie and the form field
BOUNDARY = "----benchboundary7MA4YWxkTrZu0gW"
WORKERS = 4
RANDOM_PAGE_COST = 1.1  # docs/deploy.md, section 2
PDF = sample_pdf("Bench resume", padding=100_000)  # ~100 KB, a real PDF the content checks accept

SETUP = r"""
import http.client
import json
import urllib.parse
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from accounts import services
from accounts.models import User
from bench.views import CREATE_TABLE
user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
    username="bench", email="bench@example.com", password="bench-password-1")
_, token = services.issue_token(user=user)  # keys are stored only as digests: a new one per run
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "accounts.authentication.PermissionBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
with connection.cursor() as cursor:
    cursor.execute(CREATE_TABLE)
    cursor.execute("TRUNCATE bench_row")
    from django_tasks_db.models import DBTaskResult
    # The tasks earlier runs queued (no worker serves the bench): the floor's and the intake's.
    queued = ["bench.views.noop", "leads.worker.fanout.process_application"]
    DBTaskResult.objects.filter(task_path__in=queued).delete()
    cursor.execute("ANALYZE")
from leads.models import Lead
# Leads a previous run created (intake, API create) go, so the table is back to its size.
Lead.objects.filter(email__regex=r"^(bench|probe|big)\.[0-9a-f.]+@example\.com$").delete()
newest, email = Lead.objects.newest_first().values_list("pk", "email").first() or (None, "")
# A lead with a long history (300 notes): its page and timeline show the newest 200 events.
from leads.models import Note
busy = Lead.objects.order_by("created_at", "id").first()
if busy is not None and Note.objects.filter(lead=busy).count() < 300:
    Note.objects.bulk_create(Note(lead=busy, author=user, body=f"Call {n}: left a message.")
                             for n in range(300))
# Issue 25: with BENCH_INTAKE_FORM=1 the sample form and three more questions for everyone,
# so an immigration removal case answers 8; without it, no form (today's intake).
import os
from django.core.management import call_command
from leads.models import PracticeArea, Question
answer_fields = {}
if os.environ.get("BENCH_INTAKE_FORM"):
    call_command("sample_intake_form", verbosity=0)
    for n in range(1, 4):
        Question.objects.get_or_create(key=f"bench_{n}", practice_area=None,
                                       defaults={"label": f"Bench question {n}", "kind": "text"})
    values = {"phone": "+1 202 555 0143", "summary": "I need help with my case.",
              "immigration_matter": "removal", "in_the_us": "yes", "court_date": "2027-01-15",
              "bench_1": "one", "bench_2": "two", "bench_3": "three"}
    for question in Question.objects.filter(key__in=values):
        answer_fields[f"q{question.pk}"] = values[question.key]
else:
    Question.objects.update(show_if_question=None)  # PROTECTed: conditions go first
    Question.objects.all().delete()
    PracticeArea.objects.all().delete()
print(json.dumps({"token": token, "session": session.session_key, "leads": Lead.objects.count(),
                  "lead": str(newest), "busy": str(busy.pk if busy else newest),
                  "email": urllib.parse.quote(email), "answer_fields": answer_fields}))
"""

# wrk script: JSON summary on stdout; optional multipart POST with a fresh email each time.
LUA_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '\\nBENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, '
    .. '"errors": %d, "non_2xx_3xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, errors, summary.errors.status))
end
"""
LUA_POST = """
local counter = 0
local tag = "{tag}"  -- fresh per run from Python: Lua's unseeded random repeats itself
local spread = {spread}
local head = {head}
local tail = {tail}
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", tostring(threads))
end
request = function()
  counter = counter + 1
  local email = "bench." .. tag .. "." .. (tid or "0") .. "." .. counter .. "@example.com"
  local body = head .. email .. tail
  -- Each submission from its own address (through the trusted proxy), as prospects are: one
  -- address's submissions share one rate-limit row (--one-address measures that).
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  if spread then
    headers["X-Forwarded-For"] = "10." .. (tid or "0") .. "." .. math.floor(counter / 250) % 250 .. "."
      .. counter % 250 + 1
  end
  return wrk.format("POST", nil, headers, body)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--db-prefix", default="leads_ops")
    parser.add_argument("--only", default="", help="comma-separated endpoint keys (default: all)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per size; medians are reported")
    parser.add_argument(
        "--one-address", action="store_true", help="every POST from 127.0.0.1 (default: each from its own)"
    )
    parser.add_argument(
        "--intake-form",
        action="store_true",
        help="set up the sample intake form (issue 25) for intake_answers",
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    args = parser.parse_args()
    results = {"workers": WORKERS, "duration": args.duration, "connections": args.connections, "runs": {}}
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    for size in [int(s) for s in args.sizes.split(",")]:
        results["runs"][size] = bench_size(size, args)
        path.write_text(json.dumps(results, indent=2))  # what is done survives a later failure
    report(results)
    print(f"\nResults written to {path.relative_to(ROOT)}")


def bench_size(size: int, args) -> dict:
    name = f"{args.db_prefix}_{size}"
    env = base_env(f"{PG}/{name}")
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)
    # As docs/deploy.md sets it for production: the planner's page costs for storage that is
    # not a spinning disk (PostgreSQL's default of 4 makes a 1 ms index path look dearer than
    # a 20 ms scan). Floors and product alike.
    psql(name, f'ALTER DATABASE "{name}" SET random_page_cost = {RANDOM_PAGE_COST}')
    manage(env, "migrate", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    if args.intake_form:
        env = env | {"BENCH_INTAKE_FORM": "1"}
    state = setup(env)
    if state["leads"] != size:
        log(f"[{size}] seeding {size} leads into {name} (had {state['leads']})")
        psql(name, "TRUNCATE leads_lead CASCADE")
        manage(env, "seed_leads", "--count", str(size), capture=False)
        psql(name, "VACUUM ANALYZE")
        state = setup(env)
    ANSWER_FIELDS.clear()
    ANSWER_FIELDS.update(state.get("answer_fields", {}))
    port = args.port or free_port()
    media = tempfile.mkdtemp(prefix="bench-media-")
    try:
        server = start_gunicorn(env | {"MEDIA_ROOT": media}, port)
        base = f"http://127.0.0.1:{port}"
        try:
            rounds = []
            for round_number in range(1, args.rounds + 1):
                log(f"[{size}] round {round_number} of {args.rounds}")
                rounds.append(run_endpoints(base, state, server, name, args))
            return {**medians(rounds), **one_shots(base, state, server, args)}
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    finally:
        subprocess.run(["rm", "-rf", media])


# What is measured, in this order (floors first): a key (for --only and the JSON), a name, a path
# (formatted with SETUP's state: {lead} is the newest lead's id), who calls it (token, admin
# session, or the form's CSRF cookie), and the floor its rps is divided by. To measure another
# page, add a line here (and whatever it needs to SETUP's state, e.g. a lead with a timeline).
ENDPOINTS = [
    # key, name, path, auth, floor (and "post" for the two uploads, added below)
    ("floor_insert", "floor: insert + 100 KB upload", "/bench/insert/", None, None),
    ("floor_checked", "floor: same + resume content check", "/bench/insert-checked/", None, None),
    ("floor_queued", "floor: same + its task queued, one transaction", "/bench/insert-queued/", None, None),
    ("floor_list", "floor: list 20 rows (raw SQL)", "/bench/list/", None, None),
    ("floor_page", "floor: API's page query, no count", "/bench/page/", None, None),
    ("floor_page_status", "floor: same, ?status=PENDING", "/bench/page/?status=PENDING", None, None),
    ("floor_drf", "floor: same page through DRF, knox token", "/bench/drf-page/", "token", None),
    ("floor_admin", "floor: bare admin changelist", "/bench/admin/leads/lead/", "admin", None),
    ("floor_admin_search", "floor: bare admin ?q=smith", "/bench/admin/leads/lead/?q=smith", "admin", None),
    ("floor_admin_email", "floor: bare admin ?q=<a lead's email>", "/bench/admin/leads/lead/?q={email}",
     "admin", None),
    ("intake", "intake POST (100 KB PDF)", "/", "form", "floor_insert"),
    ("intake_answers", "intake POST, a practice area and 8 answers", "/", "form", "floor_insert"),
    ("api_create", "API create", "/api/v1/leads/", "token", "floor_insert"),
    ("api_list", "API list", "/api/v1/leads/", "token", "floor_page"),
    ("api_status", "API list ?status=PENDING", "/api/v1/leads/?status=PENDING", "token", "floor_page_status"),
    ("api_search", "API list ?search=smith", "/api/v1/leads/?search=smith", "token", "floor_page"),
    ("api_search_email", "API list ?search=<a lead's email>", "/api/v1/leads/?search={email}", "token",
     "floor_page"),
    ("api_deep", "API list deep page (?page=400)", "/api/v1/leads/?page=400", "token", "floor_page"),
    ("api_assigned", "API list ?assigned_to=none", "/api/v1/leads/?assigned_to=none", "token", "floor_page"),
    ("api_resume", "API list ?resume_search=falconry", "/api/v1/leads/?resume_search=falconry", "token",
     "floor_page"),
    ("api_area", "API list ?practice_area=immigration", "/api/v1/leads/?practice_area=immigration", "token",
     "floor_page"),
    ("api_search_answer", "API list ?search=opinion (an answer's word)", "/api/v1/leads/?search=opinion",
     "token", "floor_page"),
    ("api_lead", "API lead", "/api/v1/leads/{lead}/", "token", "floor_page"),
    ("api_timeline", "API timeline, 300 notes", "/api/v1/leads/{busy}/timeline/", "token", "floor_page"),
    ("api_stats", "API stats", "/api/v1/leads/stats/", "token", "floor_list"),
    ("admin_list", "admin changelist", "/admin/leads/lead/", "admin", "floor_admin"),
    ("admin_status", "admin ?status__exact=PENDING", "/admin/leads/lead/?status__exact=PENDING", "admin",
     "floor_admin"),
    ("admin_search", "admin search ?q=smith", "/admin/leads/lead/?q=smith", "admin", "floor_admin_search"),
    ("admin_search_email", "admin search ?q=<a lead's email>", "/admin/leads/lead/?q={email}", "admin",
     "floor_admin_email"),
    ("admin_assigned", "admin ?assigned_to=none", "/admin/leads/lead/?assigned_to=none", "admin",
     "floor_admin"),
    ("admin_resume", "admin search ?q=falconry", "/admin/leads/lead/?q=falconry", "admin",
     "floor_admin_search"),
    ("admin_common", "admin search ?q=litigation (full pages)", "/admin/leads/lead/?q=litigation", "admin",
     "floor_admin_search"),
    ("admin_area", "admin ?practice_area=immigration", "/admin/leads/lead/?practice_area=immigration",
     "admin", "floor_admin"),
    ("admin_search_answer", "admin search ?q=opinion (an answer's word)", "/admin/leads/lead/?q=opinion",
     "admin", "floor_admin_search"),
    ("admin_lead", "admin lead page", "/admin/leads/lead/{lead}/change/", "admin", "floor_admin"),
    ("admin_busy", "admin lead page, 300 notes", "/admin/leads/lead/{busy}/change/", "admin", "floor_admin"),
    ("admin_dashboard", "admin dashboard", "/admin/leads/lead/dashboard/", "admin", "floor_admin"),
]  # fmt: skip
POSTS = {"floor_insert": "floor", "floor_checked": "floor", "floor_queued": "floor", "intake": "intake",
         "api_create": "api", "intake_answers": "intake_answers"}  # fmt: skip
# The form switched on (True) or off for a round's intake_answers or intake (--intake-form).
FORM_SWITCH = {
    (table, on): f"UPDATE {table} SET is_active = {'true' if on else 'false'}"  # noqa: S608 (constants)
    for table in ("leads_practicearea", "leads_question")
    for on in (True, False)
}
# The intake_answers form fields (q<id> -> value), from SETUP's state (--intake-form).
ANSWER_FIELDS: dict[str, str] = {}


def setup(env: dict) -> dict:
    """The bench user's token and session, the number of leads and the newest one (SETUP)."""
    return json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])


def endpoints(state: dict) -> list[dict]:
    """ENDPOINTS with their paths filled in and the headers of who calls them."""
    headers = {
        "token": {"Authorization": f"Token {state['token']}"},
        "admin": {"Cookie": f"sessionid={state['session']}"},
        "form": {"Cookie": f"csrftoken={CSRF}"},
    }
    return [
        {
            "key": key,
            "name": name,
            "path": path.format(**state),
            "headers": headers.get(auth, {}),
            "floor": floor,
            "post": POSTS.get(key),
        }
        for key, name, path, auth, floor in ENDPOINTS
    ]


def run_endpoints(base: str, state: dict, server: subprocess.Popen, database: str, args) -> dict:
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        only = {key for key in args.only.split(",") if key}
        for endpoint in endpoints(state):
            if only and endpoint["key"] not in only:
                continue
            if args.intake_form and endpoint["post"] in ("intake", "intake_answers"):
                # Today's intake (no form set up) and the intake with answers in the same round:
                # the form's areas and questions are off for the first.
                for table in ("leads_practicearea", "leads_question"):
                    psql(database, FORM_SWITCH[table, endpoint["post"] == "intake_answers"])
            headers = endpoint.get("headers", {})
            probe = probe_request(base, endpoint, headers)
            if probe["status"] in (404, 405) or probe["status"] >= 500:
                log(f"  {endpoint['name']}: missing (HTTP {probe['status']})")
                results[endpoint["key"]] = {**endpoint, "missing": True, "status": probe["status"]}
                continue
            script = Path(tmp) / f"{endpoint['key']}.lua"
            script.write_text(lua_script(endpoint, one_address=args.one_address))
            sampler = MemorySampler(server.pid)
            sampler.start()
            cpu = CpuMeter(server.pid, database)
            figures = wrk(base + endpoint["path"], headers, script, args)
            app_ms, db_ms = cpu.per_request_ms(figures["requests"])
            sampler.stop()
            figures.update(probe, peak_worker_rss_mib=sampler.peak_mib(), cpu_app_ms=app_ms, cpu_db_ms=db_ms)
            results[endpoint["key"]] = {**endpoint, **figures}
            if figures["errors"]:
                log(f"  {endpoint['name']}: {figures['errors']} errors or non-2xx/3xx answers")
            log(
                f"  {endpoint['name']}: {figures['rps']:.0f} rps, p50 {figures['p50_ms']:.1f} ms, "
                f"p99 {figures['p99_ms']:.1f} ms, {figures['queries']} queries, "
                f"CPU a request {app_ms:.2f} ms app + {db_ms:.2f} ms PostgreSQL, "
                f"peak worker {figures['peak_worker_rss_mib']:.0f} MiB"
            )
    return results


def one_shots(base: str, state: dict, server: subprocess.Popen, args) -> dict:
    """What runs once per size instead of under wrk: the 50 MiB upload, the crafted PDF and the
    full CSV export."""
    only = {key for key in args.only.split(",") if key}
    results = {}
    if not only or "upload_50mib" in only:
        results["upload_50mib"] = big_upload(base, server.pid)
    if not only or "crafted_pdf" in only:
        results["crafted_pdf"] = crafted_intake(base, server.pid)
    if not only or "export" in only:
        results["export"] = export_once(base, state)
    return results


def export_once(base: str, state: dict) -> dict:
    """GET the admin's CSV export of every lead: seconds, rows, and whether it is complete."""
    request = urllib.request.Request(
        base + "/admin/leads/lead/export/", headers={"Cookie": f"sessionid={state['session']}"}
    )
    started = time.perf_counter()
    size, lines, status, declared = 0, 0, None, None
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, declared = response.status, response.headers.get("Content-Length")
            while block := response.read(1 << 20):
                size += len(block)
                lines += block.count(b"\n")
    except (OSError, http.client.HTTPException) as exc:  # a worker killed midway, a reset
        log(f"  export: {exc!r}")
    seconds = time.perf_counter() - started
    complete = declared is not None and int(declared) == size
    log(
        f"  export: HTTP {status}, {lines - 1} rows, {size / 2**20:.0f} MiB, {seconds:.1f} s, "
        f"complete={complete}"
    )
    return {"status": status, "rows": lines - 1, "mib": round(size / 2**20, 1), "seconds": round(seconds, 1),
            "complete": complete}  # fmt: skip


def medians(rounds: list[dict]) -> dict:
    """Each endpoint's figures over the rounds: the median rps, p50 and p99, all the errors."""
    merged = {}
    for key, first in rounds[0].items():
        runs = [run[key] for run in rounds if key in run]
        if first.get("missing"):
            merged[key] = first
            continue
        merged[key] = {
            **first,
            **{
                figure: statistics.median(run[figure] for run in runs)
                for figure in ("rps", "p50_ms", "p99_ms", "cpu_app_ms", "cpu_db_ms")
            },
            "errors": sum(run["errors"] for run in runs),
            "rounds": [round(run["rps"], 1) for run in runs],
        }
    return merged


def probe_request(base: str, endpoint: dict, headers: dict) -> dict:
    """Requests first: does it exist, what status, how many SQL queries.

    Once per worker first, so the count leaves out opening a database connection.
    """
    for _ in range(WORKERS):
        one_request(base, endpoint, headers)
    return one_request(base, endpoint, headers)


def one_request(base: str, endpoint: dict, headers: dict) -> dict:
    data = None
    all_headers = dict(headers)
    if endpoint.get("post"):
        data = multipart(endpoint["post"], f"probe.{secrets.token_hex(4)}@example.com")
        all_headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
    request = urllib.request.Request(base + endpoint["path"], data=data, headers=all_headers)
    try:
        with NO_REDIRECTS.open(request, timeout=60) as response:
            status, queries = response.status, response.headers.get("X-Bench-Queries")
    except urllib.error.HTTPError as error:
        status, queries = error.code, error.headers.get("X-Bench-Queries")
    return {"status": status, "queries": int(queries) if queries is not None else None}


class KeepRedirects(urllib.request.HTTPRedirectHandler):
    """The probe reports the endpoint's own answer (a 303 after a POST), not the next page's."""

    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECTS = urllib.request.build_opener(KeepRedirects)


def multipart(kind: str, email: str, pdf: bytes = PDF) -> bytes:
    head, tail = multipart_parts(kind, pdf)
    return head + email.encode() + tail


def multipart_parts(kind: str, pdf: bytes = PDF) -> tuple[bytes, bytes]:
    """The multipart body split around the email, so wrk can put a fresh one in each time."""

    def field(name: str, value: str) -> bytes:
        return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()

    head = field("first_name", "Bench") + field("last_name", "Mark")
    if kind == "intake_answers":
        head += field("practice_area", "immigration")
        head += b"".join(field(name, value) for name, value in ANSWER_FIELDS.items())
    if kind in ("intake", "intake_answers"):
        head = field("csrfmiddlewaretoken", CSRF) + head
    head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="email"\r\n\r\n'.encode()
    tail = (
        f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="resume"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail += pdf + f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail


def lua_string(data: bytes) -> str:
    """Bytes as a Lua string literal (decimal escapes for anything not plain ASCII)."""
    out = []
    for byte in data:
        ch = chr(byte)
        out.append(ch if (32 <= byte < 127 and ch not in '"\\') else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_script(endpoint: dict, *, one_address: bool) -> str:
    script = ""
    if endpoint.get("post"):
        head, tail = multipart_parts(endpoint["post"])
        script += "wrk.method = 'POST'\n"
        script += f"wrk.headers['Content-Type'] = 'multipart/form-data; boundary={BOUNDARY}'\n"
        script += (
            LUA_POST.replace("{tag}", secrets.token_hex(6))
            .replace("{spread}", "false" if one_address else "true")
            .replace("{head}", lua_string(head))
            .replace("{tail}", lua_string(tail))
        )
    return script + LUA_DONE


def wrk(url: str, headers: dict, script: Path, args) -> dict:
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s"]
    command += ["-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    run = subprocess.run([*command, url], capture_output=True, text=True, timeout=args.duration + 60)
    output = run.stdout
    match = re.search(r"^BENCH (\{.*\})$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk gave no summary:\n{output}")
    figures = json.loads(match.group(1))
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def big_upload(base: str, master: int) -> dict:
    """POST a 50 MiB 'resume' to the intake form; the answer and the workers' memory growth."""
    size = 50 * 1024 * 1024
    head, tail = multipart_parts("intake")
    email = f"big.{secrets.token_hex(4)}@example.com".encode()
    tail_head = tail[: tail.index(PDF)]
    closing = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + len(email) + len(tail_head) + size + len(closing)
    before = worker_rss(master)
    sampler = MemorySampler(master)
    sampler.start()
    sock = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=60)
    status = None
    try:
        sock.sendall(
            (
                f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken={CSRF}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
        )
        sock.sendall(head + email + tail_head + b"%PDF-1.4\n")
        chunk = b"0" * (1024 * 1024)
        sent = 9
        try:
            while sent < size:
                piece = chunk[: min(len(chunk), size - sent)]
                sock.sendall(piece)
                sent += len(piece)
            sock.sendall(closing)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed: that is the point
        answer = sock.recv(4096).decode(errors="replace")
        status = int(answer.split()[1]) if answer.startswith("HTTP/") else None
    except OSError as exc:
        log(f"  50 MiB upload: {exc}")
    finally:
        sock.close()
    time.sleep(0.5)
    sampler.stop()
    growth = sampler.peak_mib() - max(before.values(), default=0) / 1024
    log(f"  50 MiB upload: HTTP {status}, worker memory growth {growth:.1f} MiB")
    return {"status": status, "sent_mib": 50, "worker_growth_mib": round(growth, 1)}


def crafted_intake(base: str, master: int) -> dict:
    """The review's ~100 KB PDF (issue 23: 100 arrays of 100,000 references in compressed
    object streams) posted to the form, and an ordinary submission from the same address 1 s
    later; then as many crafted PDFs as there are workers at once, each from its own address
    (an attacker's parallel slow files), and an ordinary submission 1 s later. Each answer and
    its time, the workers' peak memory growth, and the resume checkers' peak memory (they rest
    at ~36 MiB)."""
    crafted_pdf = review_chain_pdf()
    before = worker_rss(master)
    sampler = MemorySampler(master)
    sampler.start()
    answers = {}

    def post(name: str, pdf: bytes, address: str | None = None) -> None:
        email = f"bench.{secrets.token_hex(4)}@example.com"
        headers = {"Cookie": f"csrftoken={CSRF}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        if address:
            headers["X-Forwarded-For"] = address
        request = urllib.request.Request(base + "/", data=multipart("intake", email, pdf), headers=headers)
        started = time.perf_counter()
        try:
            with NO_REDIRECTS.open(request, timeout=120) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (OSError, http.client.HTTPException) as exc:  # a worker killed midway
            status = repr(exc)
        answers[name] = {"status": status, "seconds": round(time.perf_counter() - started, 2)}

    def beside_an_ordinary_one(crafted: list[tuple[str, str | None]], ordinary: str) -> None:
        threads = [threading.Thread(target=post, args=(name, crafted_pdf, where)) for name, where in crafted]
        for thread in threads:
            thread.start()
        time.sleep(1)
        post(ordinary, PDF)
        for thread in threads:
            thread.join()

    beside_an_ordinary_one([("crafted", None)], "ordinary_1s_later")
    burst = [(f"burst_{n}", f"10.99.0.{n + 1}") for n in range(WORKERS)]
    beside_an_ordinary_one(burst, "ordinary_during_burst")
    time.sleep(0.5)
    sampler.stop()
    growth = sampler.peak_mib() - max(before.values(), default=0) / 1024
    result = {
        "crafted_kb": round(len(crafted_pdf) / 1024, 1),
        "crafted": answers["crafted"],
        "ordinary_1s_later": answers["ordinary_1s_later"],
        "burst": {
            "statuses": sorted({str(answers[name]["status"]) for name, _ in burst}),
            "slowest_seconds": max(answers[name]["seconds"] for name, _ in burst),
        },
        "ordinary_during_burst": answers["ordinary_during_burst"],
        "worker_growth_mib": round(growth, 1),
        "checker_peak_mib": round(sampler.checker_peak / 1024, 1),
    }
    log(f"  crafted PDF: {result}")
    return result


class MemorySampler(threading.Thread):
    """Peak resident memory of any gunicorn worker, and of any of their resume checker
    processes, sampled every 50 ms."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.peak, self.checker_peak, self.running = master, 0, 0, True

    def run(self):
        while self.running:
            workers = worker_rss(self.master)
            self.peak = max(self.peak, max(workers.values(), default=0))
            checkers = [rss for worker in workers for rss in worker_rss(worker).values()]
            self.checker_peak = max(self.checker_peak, max(checkers, default=0))
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.join()

    def peak_mib(self) -> float:
        return self.peak / 1024


class CpuMeter:
    """CPU time the gunicorn workers and the database's client backends spent while wrk ran,
    per request: where a page's cost lies (Python or the database), which rps alone cannot
    tell on two cores that both share. Started before wrk, read after it. Autovacuum, which
    the writes of an earlier page may set off during a later one, is left out; so is what a
    backend spent before it ended during the run (bench: DB_CONN_MAX_AGE an hour, so none does)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, master: int, database: str):
        self.master, self.database = master, database
        self.start = self.snapshot()

    def snapshot(self) -> dict[int, tuple[str, float]]:
        """{pid: ("app" or "db", CPU seconds)} of the workers (their resume checkers included)
        and the database's backends."""
        workers = set(worker_rss(self.master))
        workers |= {checker for worker in list(workers) for checker in worker_rss(worker)}
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if pid in workers:
                    kind = "app"
                elif f" {self.database} " in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    kind = "db"  # "postgres: user database host(port) state"
                else:
                    continue
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            fields = stat[stat.rindex(")") + 2 :].split()
            found[pid] = (kind, (int(fields[11]) + int(fields[12])) / self.TICK)  # utime + stime
        return found

    def per_request_ms(self, requests: int) -> tuple[float, float]:
        used = {"app": 0.0, "db": 0.0}
        for pid, (kind, seconds) in self.snapshot().items():
            before = self.start.get(pid)
            used[kind] += seconds - (before[1] if before and before[0] == kind else 0.0)
        requests = max(requests, 1)
        return used["app"] * 1000 / requests, used["db"] * 1000 / requests


def worker_rss(master: int) -> dict[int, int]:
    """{child pid: resident KiB} for a process's children (the gunicorn master's: its workers;
    a worker's: its resume checkers)."""
    rss = {}
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return rss
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[int(pid)] = int(line.split()[1])
        except OSError:
            continue
    return rss


def report(results: dict) -> None:
    print(
        f"\n{results['workers']} gunicorn sync workers, wrk 2 threads x {results['connections']} "
        f"connections, {results['duration']} s per endpoint\n"
    )
    sizes = list(results["runs"])
    header = "| endpoint | " + " | ".join(f"{s:,} leads: rps / p50 / p99 / queries / xfloor" for s in sizes)
    growth_columns = " | rps at first size / rps at last (>1: slower with more data) | p50 last ÷ p50 first |"
    print(header + growth_columns)
    print("|---" * (len(sizes) + 3) + "|")
    first = results["runs"][sizes[0]]
    for key, row in first.items():
        if key in ("upload_50mib", "export", "crafted_pdf"):
            continue
        cells = []
        for size in sizes:
            run = results["runs"][size]
            figures = run.get(key, {})
            if figures.get("missing"):
                cells.append("missing")
                continue
            ratio = ""
            if row.get("floor") in run and not run[row["floor"]].get("missing"):
                ratio = f"{figures['rps'] / run[row['floor']]['rps']:.2f}x"
            flag = f" ({figures['errors']} errors)" if figures["errors"] else ""
            cells.append(
                f"{figures['rps']:.0f} / {figures['p50_ms']:.1f} ms / {figures['p99_ms']:.1f} ms / "
                f"{figures['queries']} / {ratio or '-'}{flag}"
            )
        last = results["runs"][sizes[-1]].get(key, {})
        growth = p50_growth = "-"
        if not row.get("missing") and not last.get("missing") and len(sizes) > 1:
            growth = f"{row['rps'] / last['rps']:.2f}" if last["rps"] else "-"
            # Each search beside its own cost at the first size (issue 26: the email's and the
            # name's, at 1M within 1.5x of 10k).
            p50_growth = f"{last['p50_ms'] / row['p50_ms']:.2f}" if row["p50_ms"] else "-"
        print(f"| {row['name']} | " + " | ".join(cells) + f" | {growth} | {p50_growth} |")
    columns = " | ".join(f"{s:,} leads: CPU ms a request, app + PostgreSQL" for s in sizes)
    print(f"\n| endpoint | {columns} |")
    print("|---" * (len(sizes) + 1) + "|")
    for key, row in first.items():
        if key in ("upload_50mib", "export", "crafted_pdf") or "cpu_app_ms" not in row:
            continue
        cells = []
        for size in sizes:
            figures = results["runs"][size].get(key, {})
            if "cpu_app_ms" in figures:
                cells.append(f"{figures['cpu_app_ms']:.2f} + {figures['cpu_db_ms']:.2f}")
            else:
                cells.append("-")
        print(f"| {row['name']} | " + " | ".join(cells) + " |")
    for size in sizes:
        upload = results["runs"][size].get("upload_50mib")
        if upload is None:
            continue
        print(f"\n50 MiB upload at {size:,} leads: HTTP {upload['status']}, "
              f"worker memory growth {upload['worker_growth_mib']} MiB")  # fmt: skip
    for size in sizes:
        crafted = results["runs"][size].get("crafted_pdf")
        if crafted is None:
            continue
        print(f"\nCrafted PDF ({crafted['crafted_kb']} KB) at {size:,} leads: {crafted['crafted']}; "
              f"an ordinary submission 1 s later: {crafted['ordinary_1s_later']}; {WORKERS} at once: "
              f"{crafted['burst']}, an ordinary submission 1 s later: {crafted['ordinary_during_burst']}; "
              f"worker memory growth {crafted['worker_growth_mib']} MiB, "
              f"checker peak {crafted['checker_peak_mib']} MiB")  # fmt: skip
    for size in sizes:
        export = results["runs"][size].get("export")
        if export is not None:
            print(f"CSV export of {size:,} leads: HTTP {export['status']}, {export['rows']:,} rows, "
                  f"{export['mib']} MiB, {export['seconds']} s, complete: {export['complete']}")  # fmt: skip


def base_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXY_COUNT": "1",  # the POSTs' X-Forwarded-For: each prospect its own address
        "INTAKE_RATE": "1000000/minute",
        "API_USER_RATE": "10000000/minute",
        "API_ANON_RATE": "10000000/minute",
        "LOG_LEVEL": "ERROR",
        "EMAIL_URL": "consolemail://",
        # One backend per worker for the whole run (production: 60 s), so CpuMeter sees each
        # backend's CPU: a backend that ends during a page's run takes its figure with it.
        "DB_CONN_MAX_AGE": "3600",
    }


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    env = env | {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    command = [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/list/", timeout=5)
            if len(worker_rss(server.pid)) == WORKERS:
                return server
        except OSError:  # refused, reset or timed out while it starts
            pass
        time.sleep(0.3)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def manage(env: dict, *args: str, capture: bool = True) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=capture, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{result.stdout}{result.stderr}")
    return result.stdout or ""


def psql(database: str, sql: str) -> None:
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", database, "-c", sql], check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
