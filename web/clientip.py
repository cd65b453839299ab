"""The one definition of the client's address, shared by the intake limit, the API
throttles and sign-in counting (django-axes' AXES_CLIENT_IP_CALLABLE).

REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how many reverse proxies in front of the app
append to X-Forwarded-For; then the address the outermost trusted proxy saw (the N-th entry
from the right), because everything left of it is whatever the client chose to send.
IPv6 clients are counted per /64, the block one subscriber usually holds.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


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
