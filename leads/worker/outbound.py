"""HTTP calls to URLs that subscribers chose: public addresses only, to exactly the address
that was checked, no redirect followed, one deadline for the whole call.

A webhook URL is typed by an administrator, but the host it names may be (or may later be
pointed at) anything: the firm's database, a cloud metadata service on 169.254.169.254, the
worker's own loopback. So the host is resolved once, every address it resolves to must be
public, and the connection goes to one of those addresses: no second lookup that a DNS
rebinding could answer differently. TLS still checks the certificate against the URL's
host name. `allow_private` (WEBHOOK_ALLOW_PRIVATE_NETWORKS) lifts the address and scheme
rules, for tests and receivers on the firm's own network.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

# DNS64 writes IPv4-only hosts as 64:ff9b::a.b.c.d; the address that counts is a.b.c.d.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL may not be called: not https, or its host is (or resolves to) a non-public address."""


@dataclass(frozen=True)
class Target:
    """A URL taken apart, with the addresses its host resolved to (family, sockaddr)."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: list[tuple[int, tuple]]


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for a globally reachable unicast address; an IPv4 address written as IPv6
    (IPv4-mapped, NAT64) is judged as the IPv4 address it carries."""
    if address.version == 6:
        if address.ipv4_mapped:
            return is_public(address.ipv4_mapped)
        if address in NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
        if address.is_site_local:
            return False
    # is_global alone lets multicast (224.0.0.0/4, ff0e::/16) and some reserved blocks through.
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def resolve(url: str, *, allow_private: bool) -> Target:
    """Take `url` apart and resolve its host (one lookup). Raises UnsafeURL when the URL may
    not be called, socket.gaierror when the host does not resolve."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeURL("Only https:// URLs can receive webhooks.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("The URL may not carry a user name or password (deliveries show it).")
    try:
        port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
        host = (parts.hostname or "").encode("idna").decode("ascii")
        valid = port > 0
    except (ValueError, UnicodeError):  # a port past 65535, a host IDNA cannot write
        valid = False
    if not valid:
        raise UnsafeURL("The URL's host or port is not valid.")
    if not host:
        raise UnsafeURL("The URL has no host.")
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [(family, sockaddr) for family, _, _, _, sockaddr in found]
    if not allow_private:
        refused = sorted({sockaddr[0] for _, sockaddr in addresses if not is_public(ip(sockaddr[0]))})
        if refused:
            raise UnsafeURL(
                f"{host} resolves to an address that is not public ({', '.join(refused)}): "
                "loopback, private, link-local, multicast and reserved networks cannot receive webhooks."
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses)


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as getaddrinfo writes it (an IPv6 zone like %eth0 included)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> tuple[int, str]:
    """POST `body` to `target` at one of its checked addresses, within `timeout` seconds in
    all (however slowly the peer answers); returns the answer's status and reason, never
    following a redirect. Raises TimeoutError, OSError (ssl.SSLError included) or
    http.client.HTTPException."""
    deadline = time.monotonic() + timeout
    current = [connect(target.addresses, deadline)]
    # A peer that drips its answer byte by byte would outlast any per-read timeout.
    expired = threading.Event()
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), expire, [current, expired])
    watchdog.start()
    try:
        if target.scheme == "https":
            context = ssl.create_default_context()
            current[0] = context.wrap_socket(current[0], server_hostname=target.host)
            connection = http.client.HTTPSConnection(target.host, target.port)
        else:
            connection = http.client.HTTPConnection(target.host, target.port)
        connection.sock = current[0]  # connected already: http.client makes no lookup of its own
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise TimeoutError(f"No answer within {timeout:g} s.") from exc
        raise
    finally:
        watchdog.cancel()
        current[0].close()


def connect(addresses: list[tuple[int, tuple]], deadline: float) -> socket.socket:
    """A TCP connection to the first of `addresses` that answers before `deadline`."""
    error: OSError = TimeoutError("No address answered in time.")
    for family, sockaddr in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(remaining)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
        else:
            return sock
    raise error


def expire(current: list[socket.socket], expired: threading.Event) -> None:
    """End the call under way (its reads and writes fail at once), saying why first."""
    expired.set()
    # Closed already (the call finished as the deadline came): nothing to end.
    with contextlib.suppress(OSError):
        # socket.socket's own shutdown: an SSLSocket's would drop its TLS state under the
        # reading thread's feet; this leaves TLS to see the connection end.
        socket.socket.shutdown(current[0], socket.SHUT_RDWR)
