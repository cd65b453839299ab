"""What a viewer sees of a delivery's recipient, wherever deliveries are shown.

An email's address is shown to whoever may see deliveries. A webhook call's recipient is its
subscription's URL, often a capability URL (the secret is its path, as Slack's and Zapier's
are): it is shown whole only to who may view the subscriptions themselves, and by its host
to everyone else.
"""

from urllib.parse import urlsplit

# Who may read a subscription's URL in the subscriptions' own admin and API.
VIEW_SUBSCRIPTIONS = "leads.view_webhookendpoint"


def url_host(url: str) -> str:
    """The host of `url` (and its port, when it names one): nothing of its path or query."""
    return urlsplit(url).netloc.rpartition("@")[2]


def shown_recipient(recipient: str, *, is_webhook: bool, viewer) -> str:
    """`recipient` as `viewer` may see it: a webhook URL by its host only, unless the viewer
    may view webhook subscriptions (None: what anyone who sees deliveries may see)."""
    if not is_webhook or (viewer is not None and viewer.has_perm(VIEW_SUBSCRIPTIONS)):
        return recipient
    return url_host(recipient)
