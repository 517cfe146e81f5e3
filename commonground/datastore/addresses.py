"""Which IP addresses Common Ground may fetch from: public ones only.

Used by :mod:`commonground.datastore.fetch` against server-side request forgery: a URL chosen
by a user or a harvested portal must not reach the server itself, its local network or the
cloud metadata service. Ranges come from the IANA special-purpose address registries
(RFC 6890 and updates) as encoded in Python's :mod:`ipaddress`; the named ranges below are
checked first only so the message can say which kind of address it is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                   "192.168.0.0/16"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")  # RFC 4193
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address


# Each kind of address that is not public, tested in this order (the first that fits names
# it; the link-local test comes twice so that IPv4 link-local names the metadata service).
# Any other address that Python's ipaddress does not call global is refused by the last rule.
_NOT_PUBLIC: tuple[tuple[Callable[[IPAddress], bool], str], ...] = (
    (lambda a: a.is_unspecified, "the unspecified address, which means this machine"),
    (lambda a: a.is_loopback, "a loopback address"),
    (lambda a: a.is_link_local and a.version == 4,
     "a link-local address (169.254.0.0/16, where cloud metadata services such as "
     "169.254.169.254 live)"),
    (lambda a: a.is_link_local, "a link-local address"),
    (lambda a: a.is_multicast, "a multicast address"),
    (lambda a: any(a in network for network in _RFC1918), "a private (RFC 1918) address"),
    (lambda a: a.version == 6 and a in _UNIQUE_LOCAL,
     "a unique-local IPv6 address (private network)"),
    (lambda a: a.version == 6 and a.is_site_local, "a site-local IPv6 address (private network)"),
    (lambda a: a.version == 4 and a in _SHARED,
     "a shared address (100.64.0.0/10, carrier-grade NAT)"),
    (lambda a: a.is_reserved, "a reserved address"),
    (lambda a: a.is_private or not a.is_global, "a special-purpose address, not a public one"),
)


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not public ("a loopback address", ...), or None if it is."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = refusal_reason(embedded)
        if reason:
            return f"an IPv6 form of {embedded}, {reason}"
        if isinstance(address, ipaddress.IPv6Address) and (address.ipv4_mapped is not None
                                                            or address in _NAT64):
            return None  # the connection goes to that public IPv4 address
    return next((reason for is_kind, reason in _NOT_PUBLIC if is_kind(address)), None)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
