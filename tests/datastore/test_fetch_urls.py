"""Which URLs may be fetched: http(s) to public addresses only, refused before connecting.

Resolution here is local: IP literals (parsed with AI_NUMERICHOST), "localhost" (/etc/hosts)
and a small table of fake names; any other name fails to resolve, so no DNS query leaves the
machine, and any connection attempt fails the test.
"""

from __future__ import annotations

import socket

import pytest

from commonground.datastore import fetch
from commonground.datastore.fetch import UnsafeURL, check_url

PUBLIC_IP = "93.184.215.14"  # a public address; never contacted
REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture(autouse=True)
def resolver(monkeypatch):
    """Fake names in ``table``; literals and localhost answered locally; no connections."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))
                    for ip in table[host]]
        if host == "localhost":  # /etc/hosts
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        # IP literals in any spelling the C library reads; never a DNS query.
        kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    def no_connection(*args):
        raise AssertionError("check_url must not connect")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(fetch, "_connect_socket", no_connection)
    return table


@pytest.mark.parametrize(("url", "expected"), [
    ("http://localhost/x", "localhost resolves to 127.0.0.1, a loopback address"),
    ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
    ("http://2130706433/", "2130706433 is another way of writing the address 127.0.0.1, a loop"),
    ("http://0x7f.1/", "0x7f.1 is another way of writing the address 127.0.0.1, a loopback"),
    ("http://0177.0.0.1/", "0177.0.0.1 is another way of writing the address 127.0.0.1, a loop"),
    ("http://127.1/", "127.1 is another way of writing the address 127.0.0.1"),
    ("http://134744072/", "another way of writing the address 8.8.8.8; write IP addresses as"),
    ("http://[::1]/", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1 is an IPv6 form of 127.0.0.1, a loopback"),
    ("http://[2002:7f00:1::]/", "an IPv6 form of 127.0.0.1, a loopback address"),
    ("http://[64:ff9b::a00:1]/", "an IPv6 form of 10.0.0.1, a private (RFC 1918) address"),
    ("http://10.1.2.3/", "a private (RFC 1918) address"),
    ("http://172.16.0.1/", "a private (RFC 1918) address"),
    ("http://192.168.0.1/", "a private (RFC 1918) address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[fe80::1]/", "a link-local address"),
    ("http://[fd12:3456::1]/", "a unique-local IPv6 address"),
    ("http://224.0.0.1/", "a multicast address"),
    ("http://[ff02::1]/", "a multicast address"),
    ("http://240.0.0.1/", "a reserved address"),
    ("http://0.0.0.0/", "the unspecified address"),
    ("http://[::]/", "the unspecified address"),
    ("http://100.64.1.1/", "carrier-grade NAT"),
    ("http://192.0.2.1/", "a special-purpose address"),
])
def test_non_public_addresses_are_refused_with_the_reason(url, expected):
    with pytest.raises(UnsafeURL) as refused:
        check_url(url)
    assert expected in str(refused.value)
    assert str(refused.value).startswith(url)


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1",
                                      "0x7f000001"])
def test_odd_spellings_would_still_be_caught_by_the_address_check(spelling, monkeypatch):
    """The C library's getaddrinfo reads these spellings as 127.0.0.1 itself, so even without
    the spelling rule the resolved address is checked and refused."""
    assert socket.getaddrinfo(spelling, 80, flags=socket.AI_NUMERICHOST)[0][4][0] == "127.0.0.1"
    monkeypatch.setattr(fetch, "_refuse_odd_ipv4_spelling", lambda host, url: None)
    with pytest.raises(UnsafeURL, match=f"{spelling} resolves to 127.0.0.1, a loopback address"):
        check_url(f"http://{spelling}/")


def test_a_name_is_refused_if_any_of_its_addresses_is_not_public(resolver):
    resolver["mixed.example"] = [PUBLIC_IP, "10.0.0.5"]
    with pytest.raises(UnsafeURL, match=r"mixed.example resolves to 10.0.0.5, a private"):
        check_url("https://mixed.example/data.csv")


@pytest.mark.parametrize(("url", "expected"), [
    ("ftp://example.org/a.csv", "only http and https URLs can be fetched, not ftp"),
    ("file:///etc/passwd", "not file"),
    ("gopher://example.org/", "not gopher"),
    ("example.org/a.csv", "not a URL without a scheme"),
    ("http://user:s3cret@example.org/a.csv", "user name or password"),
    ("http://user@example.org/a.csv", "user name or password"),
    ("http:///a.csv", "no host name"),
    ("http://example.org:99999/", "port"),
    ("http://example.org:0/", "port"),
    ("http://exa mple.org/", "not a valid host name"),
    ("http://example.org/\r\nX-Injected: 1", "control characters"),
    ("http://[fe80::1%25eth0]/", "zone identifiers"),
])
def test_malformed_urls_are_refused_even_for_the_operator(url, expected):
    with pytest.raises(UnsafeURL, match=expected) as refused:
        check_url(url, allow_private=True)
    assert "s3cret" not in str(refused.value)


def test_public_addresses_and_private_ones_for_the_operator_pass():
    check_url(f"http://{PUBLIC_IP}/data.csv")
    check_url("https://[2606:4700::1111]:8443/a.csv?x=1")
    check_url("http://localhost:8080/api/3/action/package_list", allow_private=True)
