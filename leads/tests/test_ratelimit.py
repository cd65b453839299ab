"""Rate limits hold across processes and threads, in the database by default or in Redis;
a store that cannot answer is a 503, never a 500."""

import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from django.core.management import call_command
from django.db import connection, connections

from config.testing import database_url, free_port, gunicorn
from leads.intake import ratelimit
from leads.models import Lead, RateLimitBucket
from leads.tests.documents import minimal_pdf, reference_chain_pdf

REDIS_URL = "redis://127.0.0.1:6379/5"


def redis_cache(url: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


@pytest.fixture
def clean_redis():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()


def post_intake(base: str, email: str, resume: bytes | None = None) -> int:
    """One real form submission (CSRF cookie and token first) from 127.0.0.1; its status."""
    with requests.Session() as session:
        token = session.get(base + "/", timeout=30).cookies["csrftoken"]
        response = session.post(
            base + "/",
            data={"csrfmiddlewaretoken": token, "first_name": "Jane", "last_name": "Doe", "email": email},
            files={"resume": ("cv.pdf", resume or minimal_pdf(), "application/pdf")},
            # The cookie is Secure (DEBUG off), so the session would not send it over http.
            headers={"Cookie": f"csrftoken={token}", "Connection": "close"},
            allow_redirects=False,
            timeout=30,
        )
        return response.status_code


def twelve_posts_at_once(base: str) -> list[int]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return sorted(pool.map(lambda n: post_intake(base, f"p{n}@example.com"), range(12)))


@pytest.fixture
def server_env(tmp_path):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.tests.fault_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url(connection.settings_dict),
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "INTAKE_RATE": "5/minute",
        "CACHE_URL": "locmemcache://",
    }


@pytest.mark.django_db(transaction=True)
def test_twelve_posts_across_two_gunicorn_workers_admit_five_with_the_database_store(server_env):
    with gunicorn(server_env, ready_path="/healthz/", workers=2) as base:
        statuses = twelve_posts_at_once(base)

    assert statuses == [303] * 5 + [429] * 7
    assert Lead.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_twelve_posts_across_two_gunicorn_workers_admit_five_with_the_redis_store(server_env, clean_redis):
    with gunicorn({**server_env, "CACHE_URL": REDIS_URL}, ready_path="/healthz/", workers=2) as base:
        statuses = twelve_posts_at_once(base)

    assert statuses == [303] * 5 + [429] * 7
    assert not RateLimitBucket.objects.exists()  # counted in Redis, not in the table


@pytest.mark.django_db(transaction=True)
def test_a_submission_whose_worker_is_killed_while_its_file_is_checked_still_counts(server_env):
    # A worker timeout shorter than the check (1 s against up to 10 s here) kills the worker
    # mid-check, as the review's 30 s timeout did before the check had a bound: the attempt
    # was counted, in its own commit, before the file was read.
    server_env |= {"INTAKE_RATE": "1/minute", "GUNICORN_TIMEOUT": "1"}
    server_env |= {"RESUME_CHECK_SECONDS": "10", "RESUME_CHECK_MEMORY_MB": "1024"}
    chain = reference_chain_pdf(arrays=12, references=100_000)  # ~4 s of CPU to check in full
    with gunicorn(server_env, ready_path="/healthz/") as base:
        try:
            killed = post_intake(base, "slow@example.com", resume=chain)
        except requests.ConnectionError:
            killed = None
        after = post_intake(base, "jane@example.com")

    assert killed in (500, None)  # gunicorn's answer for a worker it killed, or none
    assert after == 429
    assert not Lead.objects.exists()


def race(threads: int, rate: str) -> list[bool]:
    """`threads` threads released at once, each counting one attempt on the same key."""
    barrier = threading.Barrier(threads)

    def attempt(_):
        try:
            barrier.wait()
            return ratelimit.hit_key("race", rate).allowed
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(attempt, range(threads)))


@pytest.mark.django_db(transaction=True)
def test_threads_racing_on_one_key_in_the_database_never_over_admit():
    verdicts = race(16, "5/minute")

    assert verdicts.count(True) == 5
    assert RateLimitBucket.objects.get(key="ratelimit:race").count == 16


@pytest.mark.django_db(transaction=True)
def test_threads_racing_on_one_key_in_redis_never_over_admit(settings, clean_redis):
    settings.CACHES = redis_cache(REDIS_URL)

    assert race(16, "5/minute").count(True) == 5


@pytest.mark.django_db
def test_one_attempt_is_one_sql_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        ratelimit.hit_key("one", "5/minute")


@pytest.mark.postgres_only(reason="UNLOGGED tables are PostgreSQL's")
@pytest.mark.django_db
def test_on_postgresql_the_buckets_write_no_wal_so_an_attempt_waits_for_no_disk_flush():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s", [RateLimitBucket._meta.db_table]
        )
        assert cursor.fetchone() == ("u",)


@pytest.mark.django_db
def test_an_expired_window_restarts_at_the_next_attempt():
    RateLimitBucket.objects.create(key="ratelimit:old", expires_at=time.time() - 1, count=99)

    assert ratelimit.hit_key("old", "1/minute").allowed
    bucket = RateLimitBucket.objects.get(key="ratelimit:old")
    assert bucket.count == 1 and bucket.expires_at > time.time() + 50


@pytest.mark.django_db
def test_an_attempt_past_the_limit_says_when_the_window_ends():
    ratelimit.hit_key("full", "1/hour")

    verdict = ratelimit.hit_key("full", "1/hour")

    assert not verdict.allowed and 3500 < verdict.retry_after <= 3600


def test_redis_window_ends_when_its_period_does(settings, clean_redis):
    settings.CACHES = redis_cache(REDIS_URL)
    ratelimit.hit_key("short", "1/hour")

    verdict = ratelimit.hit_key("short", "1/hour")

    assert not verdict.allowed and 3500 < verdict.retry_after <= 3600
    assert 3500_000 < redis.Redis.from_url(REDIS_URL).pttl("ratelimit:short") <= 3600_000


@pytest.mark.django_db
def test_purge_removes_expired_buckets_and_keeps_live_ones(capsys):
    RateLimitBucket.objects.create(key="ratelimit:gone", expires_at=time.time() - 1, count=3)
    ratelimit.hit_key("live", "5/minute")

    call_command("purge_ratelimits")

    assert list(RateLimitBucket.objects.values_list("key", flat=True)) == ["ratelimit:live"]
    assert "Deleted 1 expired" in capsys.readouterr().out


# --- A store that cannot answer -------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there


@pytest.mark.django_db
def test_intake_answers_503_with_a_page_when_the_limiter_store_is_down(client, redis_down):
    response = client.post("/", {"first_name": "Jane"})

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "Temporarily unavailable" in response.content.decode()
    assert Lead.objects.count() == 0


@pytest.mark.django_db
def test_api_answers_503_json_when_the_limiter_store_is_down(integration_client, redis_down):
    response = integration_client.get("/api/v1/leads/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert set(response.json()) == {"detail"}


@pytest.mark.django_db
def test_token_endpoint_answers_503_json_when_the_limiter_store_is_down(api_client, redis_down):
    response = api_client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")

    assert response.status_code == 503
    assert set(response.json()) == {"detail"}


@pytest.mark.django_db
def test_a_database_error_in_the_limiter_is_reported_as_the_limiter_unavailable():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RateLimitBucket._meta.db_table}")

    with pytest.raises(ratelimit.LimiterUnavailable):
        ratelimit.hit_key("any", "5/minute")


# --- The API's throttles --------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_api_request_costs_its_throttle_one_query(api_client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the anonymous throttle's upsert; the docs page reads nothing
        response = api_client.get("/api/v1/docs/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_user_throttle_counts_per_user_in_the_shared_store(integration_client, integration, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/minute"},
    }
    statuses = [integration_client.get("/api/v1/users/me/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert RateLimitBucket.objects.get(key=f"ratelimit:api-user:{integration.pk}").count == 3


@pytest.mark.django_db
def test_api_throttles_use_the_same_client_address_as_the_intake(api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    api_client.get("/api/v1/docs/", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.9")

    assert RateLimitBucket.objects.filter(key="ratelimit:api-anon:203.0.113.9").exists()
