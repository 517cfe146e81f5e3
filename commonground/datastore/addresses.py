"""Which IP addresses Common Ground may fetch from: public ones only.

Used by :mod:`commonground.datastore.fetch` against server-side request forgery: a URL chosen
by a user or a harvested portal must not reach the server itself, its local network or the
cloud metadata service. Ranges come from the IANA special-purpose address registries
(RFC 6890 and updates) as encoded in Python's :mod:`ipaddress`; the named ranges below are
checked first only so the message can say which kind of address it is.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                   "192.168.0.0/16"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")  # RFC 4193
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address


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
    if address.is_unspecified:
        return "the unspecified address, which means this machine"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        if address.version == 4:
            return ("a link-local address (169.254.0.0/16, where cloud metadata services "
                    "such as 169.254.169.254 live)")
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in network for network in _RFC1918):
        return "a private (RFC 1918) address"
    if address.version == 6 and address in _UNIQUE_LOCAL:
        return "a unique-local IPv6 address (private network)"
    if address.version == 6 and address.is_site_local:
        return "a site-local IPv6 address (private network)"
    if address.version == 4 and address in _SHARED:
        return "a shared address (100.64.0.0/10, carrier-grade NAT)"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a special-purpose address, not a public one"
    return None


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
