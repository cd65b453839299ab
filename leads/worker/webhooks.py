"""Webhooks: subscriptions' secrets and URLs, events turned into deliveries, the signed call.

An event becomes one delivery per active subscription that names it, its body (the JSON
`{"type", "timestamp", "data"}`) written when the delivery is made and kept as the
delivery's payload. Each attempt sends that body, signed by the Standard Webhooks scheme
with the `standardwebhooks` library: `webhook-id` is the delivery's id (the same on every
retry, so a receiver can drop duplicates), `webhook-timestamp` the attempt's time,
`webhook-signature` the HMAC of both and the body. Only a 2xx answer counts as received.
"""

import base64
import http.client
import json
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from socket import gaierror
from ssl import SSLError

from django.conf import settings
from django.core.exceptions import ValidationError
from standardwebhooks import Webhook

from leads.models import Delivery, WebhookEndpoint

from . import outbound
from .failures import DeliveryFailed, Sent

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32  # the Standard Webhooks scheme asks for 24 to 64
USER_AGENT = "lead-intake-webhooks/1"


def generate_secret() -> str:
    """A new signing secret in the Standard Webhooks format: whsec_ and base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def target(url: str) -> outbound.Target:
    """`url` resolved, under WEBHOOK_ALLOW_PRIVATE_NETWORKS' rules (outbound.resolve)."""
    return outbound.resolve(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)


def validate_url(url: str) -> None:
    """Raise ValidationError unless webhooks may be sent to `url` (https, public addresses)."""
    try:
        target(url)
    except outbound.UnsafeURL as exc:
        raise ValidationError(str(exc), code="unsafe_url") from exc
    except (gaierror, UnicodeError) as exc:
        raise ValidationError("This URL's host could not be resolved.", code="unresolved") from exc


def clean_events(events: Iterable[str]) -> list[str]:
    """The events, each once, in the order WebhookEndpoint.Event lists them; ValidationError
    when none is given or one is not an event."""
    events = set(events)
    unknown = events - set(WebhookEndpoint.Event.values)
    if unknown:
        raise ValidationError(f"Unknown events: {', '.join(sorted(unknown))}.", code="invalid_choice")
    if not events:
        raise ValidationError("Name at least one event.", code="required")
    return [event for event in WebhookEndpoint.Event.values if event in events]


def body(delivery: Delivery) -> str:
    """The delivery's payload as the bytes every attempt sends: keys sorted, so the text does
    not depend on how the database stored the JSON (PostgreSQL's jsonb reorders keys)."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":"))


def signed_headers(delivery: Delivery, text: str, *, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt at `at` (the delivery's id as webhook-id)."""
    message_id = str(delivery.pk)
    signature = Webhook(delivery.endpoint.secret).sign(msg_id=message_id, timestamp=at, data=text)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def send(delivery: Delivery) -> Sent:
    """POST the delivery's body, signed for this attempt, to its subscription's URL; returns
    the 2xx status. Raises DeliveryFailed: permanent when the subscription is gone or its
    URL may not be called (any more), temporary for no answer, a timeout or another status."""
    endpoint = delivery.endpoint
    if endpoint is None:
        raise DeliveryFailed("Not sent: the subscription was deleted.", permanent=True)
    if not endpoint.is_active:
        raise DeliveryFailed("Not sent: the subscription is inactive.", permanent=True)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        # Checked again now: a host may resolve elsewhere than when it was subscribed.
        call = target(endpoint.url)
        text = body(delivery)
        headers = signed_headers(delivery, text, at=datetime.now(UTC))
        status, reason = outbound.post(call, text.encode(), headers, timeout=timeout)
    except outbound.UnsafeURL as exc:
        raise DeliveryFailed(f"Not sent: {exc}", permanent=True) from exc
    except gaierror as exc:
        raise DeliveryFailed(f"Could not resolve the host: {exc.strerror or exc}") from exc
    except TimeoutError as exc:
        raise DeliveryFailed(f"No answer within {timeout:g} s.") from exc
    except SSLError as exc:
        raise DeliveryFailed(f"TLS failed: {exc}") from exc
    except OSError as exc:
        raise DeliveryFailed(f"Connection failed: {type(exc).__name__}: {exc}") from exc
    except http.client.HTTPException as exc:
        raise DeliveryFailed(f"Not an HTTP answer: {type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        note = " (redirects are not followed)" if 300 <= status < 400 else ""
        raise DeliveryFailed(f"HTTP {status} {reason}{note}".strip(), status_code=status)
    return Sent(status)
