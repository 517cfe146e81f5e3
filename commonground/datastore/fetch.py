"""Download a resource given by URL, refusing anything but public web addresses.

A dataset editor types a URL, and the harvester follows the resource URLs of a CKAN portal:
both are URLs chosen by someone else, so fetching them must not let them reach the server's own
network (server-side request forgery). The rules, checked at every hop of a redirect chain:

* only ``http`` and ``https``; no user name or password in the URL;
* numeric hosts only as four decimal numbers: ``2130706433``, ``0x7f.1`` or ``0177.0.0.1``
  (other spellings ``inet_aton`` accepts) are refused, naming the address they mean;
* the host name is resolved once (``socket.getaddrinfo``) and refused if ANY of its addresses
  is not public: loopback, private (RFC 1918), link-local (169.254/16, where cloud metadata
  services live; fe80::/10), unique-local IPv6, multicast, reserved, unspecified, shared
  (100.64/10), any other special-purpose range, or an IPv6 form (IPv4-mapped, 6to4, NAT64)
  of such an IPv4 address;
* the connection goes to an address that was checked, never to a second lookup of the name, so
  a DNS answer that changes between check and connection ("DNS rebinding") cannot redirect
  it. This is done with :mod:`http.client`: the connection classes below open the socket to
  the checked address themselves, while the Host header, TLS SNI and certificate check use
  the host name from the URL. Environment proxies are therefore not used.

``allow_private=True`` (the operator's CLI harvesting a portal on the local network, and tests)
skips the address check only; every other rule still applies.

Guardrails: ``max_bytes`` (refused early on a larger Content-Length, and stopped as soon as the
body passes it), ``timeout`` (seconds for connecting and for each read), ``max_seconds``
(optional bound on the whole download), :data:`MAX_REDIRECTS`.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import socket
import ssl
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from commonground.datastore.addresses import refusal_reason
from commonground.datastore.errors import IngestError

MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
USER_AGENT = "CommonGround/0.1 (+https://github.com/commonground; data hub fetcher)"
_REDIRECTS = {301, 302, 303, 307, 308}
_PUBLIC_ONLY = "Common Ground only fetches public addresses"


class UnsafeURL(IngestError):
    """The URL is refused before any connection: wrong scheme, credentials, non-public host."""


@dataclass(frozen=True)
class FetchResult:
    """final_url: the URL after redirects; filename: a safe base name for the file (from
    Content-Disposition, else the URL path, else "download"); content_type: the media type
    without parameters (None when the server sent none); bytes: size downloaded; sha256: hex."""

    final_url: str
    filename: str
    content_type: str | None
    bytes: int
    sha256: str


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA), lower case, IPv6 without brackets
    port: int
    request_path: str
    addresses: list[tuple[int, tuple]]  # (family, sockaddr), all checked


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise :class:`UnsafeURL` unless ``url`` may be fetched; resolves the host name."""
    _checked_target(url, allow_private)


def fetch_url(url: str, dest: Path, *, max_bytes: int, timeout: float = 30.0,
              allow_private: bool = False,
              progress: Callable[[int, int | None], None] | None = None,
              max_seconds: float | None = None) -> FetchResult:
    """Download ``url`` to ``dest``, following at most :data:`MAX_REDIRECTS` checked redirects.

    max_bytes:   largest body accepted (bytes); a larger one is refused and ``dest`` removed.
    timeout:     seconds allowed for connecting and for each read from the server.
    progress:    called as ``progress(bytes_so_far, total_or_None)`` after each chunk.
    max_seconds: optional bound on the whole download (seconds), against servers that
                 trickle data just fast enough to beat ``timeout``.

    Raises :class:`UnsafeURL` for a refused URL (at any hop) and :class:`IngestError` for
    everything else (timeouts, HTTP errors, too large, TLS and connection failures). Every
    message names the URL.
    """
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        target = _checked_target(current, allow_private)
        connection = _open(target, timeout)
        try:
            response = _request(connection, target, timeout)
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise IngestError(f"the server answered {response.status} without a "
                                      "Location to redirect to", file=current)
                if hop == MAX_REDIRECTS:
                    raise IngestError(f"more than {MAX_REDIRECTS} redirects; "
                                      f"the last one pointed to {location}", file=url)
                current = urljoin(current, location.strip())
                continue
            if not 200 <= response.status < 300:
                raise IngestError(f"the server answered {response.status} {response.reason}",
                                  file=current)
            return _download(response, target, dest, max_bytes, timeout, progress, deadline)
        finally:
            connection.close()
    raise AssertionError("unreachable")  # pragma: no cover


# --- checking a URL -----------------------------------------------------------------------

def _checked_target(url: str, allow_private: bool) -> _Target:
    url = url.strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise UnsafeURL("refused: the URL contains control characters", file=repr(url))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(f"refused: only http and https URLs can be fetched, not "
                        f"{scheme or 'a URL without a scheme'}", file=url)
    if "@" in parts.netloc:
        raise UnsafeURL("refused: the URL contains a user name or password; Common Ground "
                        "only fetches public files", file=_without_credentials(parts))
    if "\\" in url:
        raise UnsafeURL("refused: the URL contains a backslash", file=url)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is None:
        port = 443 if scheme == "https" else 80
    if not 0 < port < 65536:
        raise UnsafeURL("refused: the URL's port is not a number from 1 to 65535", file=url)
    host = _ascii_host(parts.hostname or "", url)
    _refuse_odd_ipv4_spelling(host, url)
    addresses = _resolve(host, port, url)
    if not allow_private:
        for _, sockaddr in addresses:
            address = ipaddress.ip_address(sockaddr[0])
            reason = refusal_reason(address)
            if reason:
                said = "is" if host == str(address) else f"resolves to {address},"
                raise UnsafeURL(f"refused: {host} {said} {reason}; {_PUBLIC_ONLY}", file=url)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return _Target(url, scheme, host, port, path, addresses)


def _ascii_host(host: str, url: str) -> str:
    if not host:
        raise UnsafeURL("refused: the URL has no host name", file=url)
    if ":" in host:  # an IPv6 literal; urlsplit already removed the brackets
        if "%" in host:
            raise UnsafeURL("refused: IPv6 zone identifiers (%...) are not allowed", file=url)
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise UnsafeURL(f"refused: {host} is not a valid IPv6 address", file=url) from None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeURL(f"refused: {host!r} is not a valid host name", file=url) from None
    if not ascii_host or not all(ch.isalnum() or ch in ".-_" for ch in ascii_host):
        raise UnsafeURL(f"refused: {host!r} is not a valid host name", file=url)
    return ascii_host


def _refuse_odd_ipv4_spelling(host: str, url: str) -> None:
    """Refuse decimal, hex, octal and short IPv4 forms (``inet_aton`` accepts them all)."""
    try:
        ipaddress.IPv4Address(host)
        return  # the usual dotted-quad form
    except ValueError:
        pass
    try:
        packed = socket.inet_aton(host)
    except OSError:
        return  # not an IPv4 address in any spelling: a host name
    address = ipaddress.IPv4Address(packed)
    reason = refusal_reason(address)
    meaning = f"{address}, {reason}" if reason else str(address)
    raise UnsafeURL(f"refused: {host} is another way of writing the address {meaning}; "
                    "write IP addresses as four decimal numbers", file=url)


def _resolve(host: str, port: int, url: str) -> list[tuple[int, tuple]]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise IngestError(f"cannot find the host {host}; check the address", file=url) from None
    addresses: list[tuple[int, tuple]] = [(family, sockaddr)
                                          for family, _, _, _, sockaddr in infos
                                          if family in (socket.AF_INET, socket.AF_INET6)]
    if not addresses:
        raise IngestError(f"cannot find the host {host}; check the address", file=url)
    return addresses


def _without_credentials(parts) -> str:
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=netloc).geturl()


# --- connecting to the checked address ----------------------------------------------------

def _connect_socket(family: int, sockaddr: tuple, timeout: float) -> socket.socket:
    """Open a TCP connection to exactly ``sockaddr`` (no name lookup happens here)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def _connect_checked(target: _Target, timeout: float) -> socket.socket:
    """A connection to the first of the target's checked addresses that answers; the last
    address's error if none does (an OSError too if it has none: nothing is then tried)."""
    error: OSError | None = None
    for family, sockaddr in target.addresses:
        try:
            return _connect_socket(family, sockaddr, timeout)
        except OSError as exc:
            error = exc
    if error is None:
        raise OSError("there is no checked address to connect to")
    raise error


def _tls_context() -> ssl.SSLContext:
    """System trust store, hostname checking on (``ssl.create_default_context``)."""
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header still names ``target.host``."""

    def __init__(self, target: _Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target
        self._timeout = timeout  # self.timeout is typed float | None

    def connect(self) -> None:
        self.sock = _connect_checked(self._target, self._timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; SNI and certificate check use ``target.host``."""

    def __init__(self, target: _Target, timeout: float):
        self._tls = _tls_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._target = target
        self._timeout = timeout  # self.timeout is typed float | None

    def connect(self) -> None:
        sock = _connect_checked(self._target, self._timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self._target.host)
        except BaseException:
            sock.close()
            raise


def _open(target: _Target, timeout: float) -> http.client.HTTPConnection:
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    return kind(target, timeout)


def _request(connection: http.client.HTTPConnection, target: _Target,
             timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity",
               "Connection": "close"}
    try:
        connection.request("GET", target.request_path, headers=headers)
        return connection.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        raise _transfer_error(exc, target, timeout) from None


def _transfer_error(exc: Exception, target: _Target, timeout: float) -> IngestError:
    """A clear message for a network failure (``exc`` is an OSError or HTTPException)."""
    if isinstance(exc, TimeoutError):
        return IngestError(f"the server {target.host} did not answer within {timeout:g} s",
                           file=target.url)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return IngestError(f"the TLS certificate of {target.host} is not valid: "
                           f"{exc.verify_message}", file=target.url)
    if isinstance(exc, ssl.SSLError):
        return IngestError(f"TLS error with {target.host}: {exc.reason or exc}", file=target.url)
    if isinstance(exc, http.client.HTTPException):
        return IngestError(f"the server {target.host} sent an invalid HTTP response "
                           f"({type(exc).__name__})", file=target.url)
    return IngestError(f"cannot connect to {target.host}: "
                       f"{getattr(exc, 'strerror', None) or exc}", file=target.url)


# --- downloading --------------------------------------------------------------------------

def _download(response: http.client.HTTPResponse, target: _Target, dest: Path, max_bytes: int,
              timeout: float, progress: Callable[[int, int | None], None] | None,
              deadline: float | None) -> FetchResult:
    too_large = f"larger than the limit of {format_size(max_bytes)}"
    total = _content_length(response)
    if total is not None and total > max_bytes:
        raise IngestError(f"refused: the file is {too_large} (the server says it is "
                          f"{format_size(total)})", file=target.url)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(dest, "wb") as out:
            while True:
                if deadline is not None and time.monotonic() > deadline:
                    raise IngestError("the download took longer than the time allowed and "
                                      "was stopped", file=target.url)
                try:
                    chunk = response.read1(CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as exc:
                    raise _transfer_error(exc, target, timeout) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise IngestError(f"the file is {too_large}; the download was stopped",
                                      file=target.url)
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(size, total)
    except BaseException:
        Path(dest).unlink(missing_ok=True)
        raise
    content_type = response.msg.get_content_type() if response.getheader("Content-Type") \
        else None
    return FetchResult(final_url=target.url, filename=_filename(response, target),
                       content_type=content_type, bytes=size, sha256=digest.hexdigest())


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.getheader("Content-Length")
    if value is None or response.getheader("Transfer-Encoding"):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _filename(response: http.client.HTTPResponse, target: _Target) -> str:
    try:
        name = response.msg.get_filename()
    except Exception:  # a malformed RFC 2231 value: fall back to the URL
        name = None
    if not name:
        name = unquote(urlsplit(target.url).path)
    return safe_filename(name or "")


def safe_filename(name: str, *, max_length: int = 200) -> str:
    """A base name safe to store and show: no directories, no control characters, no leading
    dot; letters, digits and ``._-()+, `` kept, anything else becomes ``_``."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch if ch.isalnum() or ch in "._-()+, " else "_" for ch in name)
    name = name.strip(" ._")
    if len(name) > max_length:
        stem, dot, suffix = name.rpartition(".")
        keep = suffix if dot and len(suffix) <= 16 else ""
        name = name[: max_length - len(keep) - 1].rstrip(" ._") + ("." + keep if keep else "")
    return name or "download"


def format_size(size: int) -> str:
    """Bytes as a short human size, 1024-based: 1 << 30 -> "1.0 GB"."""
    for exponent, unit in ((4, "TB"), (3, "GB"), (2, "MB"), (1, "kB")):
        if size >= 1024**exponent:
            return f"{size / 1024**exponent:.1f} {unit}"
    return f"{size} bytes"
