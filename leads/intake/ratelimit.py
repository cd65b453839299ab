"""Per-client rate limits that hold across every process and thread of a deployment: at most
N attempts in a fixed window that opens at a key's first attempt and lasts the period
(`N/second|minute|hour|day`). The intake form and the API throttles both count here.

The store follows CACHE_URL: `redis://` or `rediss://` → that Redis (one atomic round trip
per attempt); anything else → the `RateLimitBucket` table in our database (one atomic SQL
statement per attempt), so nothing but the database is needed. Expired rows are reused by
their key and removed by `manage.py purge_ratelimits`. A store that cannot answer raises
`LimiterUnavailable`, which the project's middleware answers with 503.
"""

import functools
import math
import time
from dataclasses import dataclass
from typing import Protocol

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.http import HttpRequest

from leads.models import RateLimitBucket
from web.clientip import client_address
from web.responses import ServiceUnavailable

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
# A Redis that does not answer within this long is treated as down (503), not waited for.
REDIS_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the current window ends (0 when allowed)


class LimiterUnavailable(ServiceUnavailable):
    """The rate limiter's store could not count an attempt."""

    service = "Rate limiter"


class Store(Protocol):
    def hit(self, key: str, period: int) -> tuple[int, float]:
        """Count one attempt on `key`; (attempts in its window, Unix time the window ends)."""


class DatabaseStore:
    """Buckets in our database (RateLimitBucket): one INSERT … ON CONFLICT DO UPDATE …
    RETURNING per attempt, as the Redis store's is one script."""

    def hit(self, key: str, period: int) -> tuple[int, float]:
        try:
            return self.upsert(key, period=period, now=time.time())
        except DatabaseError as exc:
            raise LimiterUnavailable(f"database: {type(exc).__name__}") from exc

    @staticmethod
    def upsert(key: str, *, period: int, now: float) -> tuple[int, float]:
        """Count one attempt on `key` in ONE atomic statement; (count, expires_at) of its window."""
        # INSERT … ON CONFLICT … DO UPDATE … RETURNING (PostgreSQL, SQLite ≥ 3.35): concurrent
        # hits on one key queue on its row and each sees the one before it, so no thread or
        # process over-admits. A window that has expired restarts at this attempt.
        buckets = RateLimitBucket.objects
        db = connections[buckets.db]
        qn = db.ops.quote_name
        table, key_col, expires, count_col = (
            qn(name) for name in (RateLimitBucket._meta.db_table, "key", "expires_at", "count")
        )
        restart = f"{table}.{expires} <= %s"
        # Only quoted identifiers are interpolated; every value is a parameter.
        sql = (
            f"INSERT INTO {table} ({key_col}, {expires}, {count_col}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT ({key_col}) DO UPDATE SET "
            f"{count_col} = CASE WHEN {restart} THEN 1 ELSE {table}.{count_col} + 1 END, "
            f"{expires} = CASE WHEN {restart} THEN excluded.{expires} ELSE {table}.{expires} END "
            f"RETURNING {count_col}, {expires}"
        )
        with db.cursor() as cursor:
            cursor.execute(sql, [key, now + period, now, now])
            count, expires_at = cursor.fetchone()
        return count, expires_at


class RedisStore:
    """A Redis counter per key: INCR, and the window's expiry set on the first attempt,
    in one Lua script (one round trip, atomic in Redis)."""

    SCRIPT = """
    local count = redis.call('INCR', KEYS[1])
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 then
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        ttl = tonumber(ARGV[1])
    end
    return {count, ttl}
    """

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self.script = self.client.register_script(self.SCRIPT)

    def hit(self, key: str, period: int) -> tuple[int, float]:
        try:
            count, ttl_ms = self.script(keys=[key], args=[period * 1000])
        except redis.RedisError as exc:
            raise LimiterUnavailable(f"redis: {type(exc).__name__}") from exc
        return int(count), time.time() + int(ttl_ms) / 1000


@functools.cache
def store_for(backend: str, location: str) -> Store:
    """The store for this cache configuration, made once per process (Redis keeps its pool)."""
    if backend == REDIS_BACKEND:
        return RedisStore(location)
    return DatabaseStore()


def current_store() -> Store:
    """The store CACHE_URL selects (module docstring)."""
    cache = settings.CACHES["default"]
    location = cache.get("LOCATION", "")
    if isinstance(location, list | tuple):  # several Redis URLs: the first is the primary
        location = location[0]
    return store_for(cache["BACKEND"], location)


def parse_rate(rate: str) -> Rate:
    """'10/minute' -> Rate(10, 60); anything else is a configuration error."""
    count, _, unit = rate.strip().partition("/")
    unit = unit.strip().lower()
    if unit not in PERIODS and unit.removesuffix("s") in PERIODS:
        unit = unit.removesuffix("s")  # "minutes"
    if not count.strip().isdigit() or int(count) < 1 or unit not in PERIODS:
        raise ImproperlyConfigured(f"A rate looks like '10/minute', not {rate!r}.")
    return Rate(int(count), PERIODS[unit])


def hit_key(key: str, rate: str) -> Verdict:
    """Count one attempt on `key` (one store round trip); say whether it is within `rate`."""
    parsed = parse_rate(rate)
    count, expires_at = current_store().hit(f"ratelimit:{key}", parsed.period)
    if count <= parsed.limit:
        return Verdict(True, 0)
    return Verdict(False, max(1, math.ceil(expires_at - time.time())))


def hit(scope: str, request: HttpRequest, rate: str) -> Verdict:
    """Count one attempt by this client (web.clientip) in `scope` against `rate`."""
    return hit_key(f"{scope}:{client_address(request)}", rate)
