"""Per-client rate limits in Django's cache: at most N attempts in a window that opens at a
client's first attempt and lasts the period (`N/second|minute|hour|day`).

Which address counts: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how many reverse proxies
in front of the app append to X-Forwarded-For; then the address the outermost trusted proxy
saw (the N-th entry from the right), because everything left of it is whatever the client
chose to send. IPv6 clients are counted per /64, the block one subscriber usually holds.
With several web processes the cache must be shared (CACHE_URL=redis://...).
"""

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

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


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the current window ends (0 when allowed)


def parse_rate(rate: str) -> Rate:
    """'10/minute' -> Rate(10, 60); anything else is a configuration error."""
    count, _, unit = rate.strip().partition("/")
    unit = unit.strip().lower()
    if unit not in PERIODS and unit.removesuffix("s") in PERIODS:
        unit = unit.removesuffix("s")  # "minutes"
    if not count.strip().isdigit() or int(count) < 1 or unit not in PERIODS:
        raise ImproperlyConfigured(f"A rate looks like '10/minute', not {rate!r}.")
    return Rate(int(count), PERIODS[unit])


def check_intake_rate(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: INTAKE_RATE must parse, so a typo stops `runserver`/`check` at once."""
    try:
        parse_rate(settings.INTAKE_RATE)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Set INTAKE_RATE like 10/minute.", id="leads.E001")]
    return []


def client_address(request: HttpRequest) -> str:
    """The client's address as described in the module docstring; IPv6 as its /64."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-proxies] if len(hops) >= proxies else hops[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def hit(scope: str, request: HttpRequest, rate: str) -> Verdict:
    """Count one attempt by this client in `scope`; say whether it is within `rate`."""
    parsed = parse_rate(rate)
    now = time.time()
    key = f"ratelimit:{scope}:{client_address(request)}"
    # The window opens at the client's first attempt and lasts one period; add() does
    # nothing while the key exists, incr() is atomic in Redis and locmem and keeps the TTL.
    cache.add(f"{key}:start", now, timeout=parsed.period)
    cache.add(f"{key}:count", 0, timeout=parsed.period)
    try:
        count = cache.incr(f"{key}:count")
    except ValueError:  # expired between add() and incr()
        cache.set(f"{key}:count", 1, timeout=parsed.period)
        count = 1
    if count <= parsed.limit:
        return Verdict(True, 0)
    start = cache.get(f"{key}:start", now)
    return Verdict(False, max(1, math.ceil(start + parsed.period - now)))
