"""Outbound calls to subscribers' URLs: which addresses count as public, and HTTPS to the
address that was checked with the certificate still checked against the URL's host name."""

import ipaddress
import re
import ssl

import pytest
import trustme

from leads.tests.receiver import Receiver
from leads.worker import outbound


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # carrier-grade NAT
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2001:db8::1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_loopback_private_link_local_multicast_and_reserved_addresses_are_not_public(address):
    assert outbound.is_public(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_globally_reachable_unicast_addresses_are_public(address):
    assert outbound.is_public(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/hook", "Only https:// URLs"),
        ("ftp://127.0.0.1/hook", "Only https:// URLs"),
        ("https://127.0.0.1/hook", "127.0.0.1 resolves to an address that is not public (127.0.0.1)"),
        ("https://localhost:8443/hook", "localhost resolves to an address that is not public"),
        ("https://[::ffff:7f00:1]/hook", "resolves to an address that is not public (::ffff:127.0.0.1)"),
        ("https://2130706433/hook", "resolves to an address that is not public (127.0.0.1)"),
        ("https://user@127.0.0.1/hook", "user name or password"),
        ("https://127.0.0.1:99999/hook", "host or port is not valid"),
        ("https://127.0.0.1:0/hook", "port is not valid"),
        ("https:///hook", "no host"),
    ],
)
def test_urls_that_may_not_be_called_are_refused_with_the_reason(url, message):
    with pytest.raises(outbound.UnsafeURL, match=re.escape(message)):
        outbound.resolve(url, allow_private=False)


def test_with_private_networks_allowed_http_and_loopback_resolve():
    target = outbound.resolve("http://127.0.0.1:8080/hooks/leads?x=1", allow_private=True)

    assert (target.scheme, target.host, target.port, target.path) == (
        "http",
        "127.0.0.1",
        8080,
        "/hooks/leads?x=1",
    )
    assert [sockaddr[0] for _, sockaddr in target.addresses] == ["127.0.0.1"]


@pytest.fixture(scope="module")
def authority():
    return trustme.CA()


@pytest.fixture
def trusted(authority, tmp_path, monkeypatch):
    """The test authority as the machine's trust store (ssl reads SSL_CERT_FILE)."""
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


def tls_server(authority, *names: str):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    return context


def test_https_goes_to_the_checked_address_and_checks_the_certificate_for_the_host_name(authority, trusted):
    with Receiver(tls=tls_server(authority, "localhost")) as receiver:
        target = outbound.resolve(receiver.url, allow_private=True)
        status, _ = outbound.post(target, b"{}", {"Content-Type": "application/json"}, timeout=5)

    assert status == 204
    [call] = receiver.calls
    assert call.headers["Host"] == f"localhost:{target.port}"


def test_a_certificate_for_another_name_fails_the_call(authority, trusted):
    with Receiver(tls=tls_server(authority, "hooks.example.net")) as receiver:
        target = outbound.resolve(receiver.url, allow_private=True)
        with pytest.raises(OSError, match="certificate verify failed"):
            outbound.post(target, b"{}", {}, timeout=5)

    assert receiver.calls == []
