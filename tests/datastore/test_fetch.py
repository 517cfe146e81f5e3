"""Downloading by URL: checked at every hop, pinned to the checked address, bounded in size
and time. (Which URLs are refused up front: test_fetch_urls.py.)

Every test runs on a fake network (the ``network`` fixture): host names resolve only from its
table (no DNS query leaves the machine), the table may route an address to a local server, and
any socket connecting anywhere but loopback fails the test before a packet is sent. The one
"public" address used, :data:`PUBLIC_IP`, is never contacted: it is routed to a server on
127.0.0.1. The address checks and redirect handling under test are the real ones.
"""

from __future__ import annotations

import hashlib
import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from commonground.datastore import fetch
from commonground.datastore.errors import IngestError
from commonground.datastore.fetch import UnsafeURL, fetch_url, format_size

PUBLIC_IP = "93.184.215.14"  # a public address; routed to 127.0.0.1 by the fake network


class FakeNetwork:
    """A resolver table and routes; records every lookup and every connection attempt."""

    def __init__(self):
        self.names: dict[str, list[list[str]]] = {}  # name -> successive answers
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}
        self.lookups: list[str] = []
        self.connections: list[tuple[str, int]] = []

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host in self.names:
            self.lookups.append(host)
            answers = self.names[host]
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))
                    for ip in addresses]
        if host == "localhost":  # /etc/hosts
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        # IP literals only: AI_NUMERICHOST never sends a DNS query.
        kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    def connect(self, family, sockaddr, timeout):
        self.connections.append(sockaddr[:2])
        return REAL_CONNECT(family, self.routes.get(sockaddr[:2], sockaddr[:2]), timeout)


REAL_GETADDRINFO = socket.getaddrinfo
REAL_CONNECT = fetch._connect_socket


class LoopbackOnlySocket(socket.socket):
    """Every socket made during a test: connecting anywhere but loopback fails the test."""

    def connect(self, address):
        _assert_loopback(address)
        return super().connect(address)

    def connect_ex(self, address):
        _assert_loopback(address)
        return super().connect_ex(address)


def _assert_loopback(address):
    assert ipaddress.ip_address(address[0]).is_loopback, f"test tried to reach {address}"


@pytest.fixture(autouse=True)
def network(monkeypatch):
    net = FakeNetwork()
    monkeypatch.setattr(socket, "getaddrinfo", net.getaddrinfo)
    monkeypatch.setattr(socket, "socket", LoopbackOnlySocket)
    monkeypatch.setattr(fetch, "_connect_socket", net.connect)
    return net


class LocalServer(http.server.ThreadingHTTPServer):
    """An HTTP(S) server on 127.0.0.1; ``routes`` maps a path to ``handler(request)``."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, routes, tls: ssl.SSLContext | None = None):
        self.routes = routes
        self.requests: list[tuple[str, dict]] = []
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def server_bind(self):  # skip HTTPServer's getfqdn() lookup
        http.server.socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def handle_error(self, request, client_address):
        pass  # a client that hangs up early (size limit, bad certificate) is expected

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        route = self.server.routes.get(self.path.split("?")[0])
        if route is None:
            reply(self, 404, b"not here")
        else:
            route(self)

    def log_message(self, *args):
        pass


def reply(request, status=200, body=b"", headers=None):
    request.send_response(status)
    for name, value in {"Content-Length": str(len(body)), "Connection": "close",
                        **(headers or {})}.items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)


def redirect(location):
    return lambda request: reply(request, 302, headers={"Location": location})


@pytest.fixture
def serve():
    servers = []

    def start(routes, tls=None):
        servers.append(LocalServer(routes, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


CSV = b"area,households\nE01,412\nE02,388\n"


# --- downloading ---------------------------------------------------------------------------

def test_download_writes_the_body_and_reports_name_type_size_and_hash(serve, tmp_path):
    disposition = "attachment; filename*=UTF-8''households%20caf%C3%A9.csv"
    server = serve({"/data": lambda r: reply(r, body=CSV, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": disposition})})
    seen = []
    result = fetch_url(server.url("/data"), tmp_path / "f", max_bytes=1000,
                       allow_private=True, progress=lambda done, total: seen.append((done, total)))
    assert (tmp_path / "f").read_bytes() == CSV
    assert result.final_url == server.url("/data")
    assert result.filename == "households café.csv"
    assert result.content_type == "text/csv"
    assert result.bytes == len(CSV)
    assert result.sha256 == hashlib.sha256(CSV).hexdigest()
    assert seen[-1] == (len(CSV), len(CSV))


@pytest.mark.parametrize(("disposition", "path", "expected"), [
    ('attachment; filename="../../etc/passwd"', "/data", "passwd"),
    ('attachment; filename=".htaccess"', "/data", "htaccess"),
    (None, "/files/My%20Data.csv", "My Data.csv"),
    (None, "/files/", "download"),
])
def test_filenames_are_reduced_to_a_safe_base_name(serve, tmp_path, disposition, path,
                                                    expected):
    headers = {"Content-Disposition": disposition} if disposition else {}
    server = serve({path: lambda r: reply(r, body=CSV, headers=headers)})
    result = fetch_url(server.url(path), tmp_path / "f", max_bytes=1000, allow_private=True)
    assert result.filename == expected


def test_a_local_url_is_refused_before_any_connection_without_allow_private(serve, tmp_path,
                                                                              network):
    server = serve({"/data": lambda r: reply(r, body=CSV)})
    with pytest.raises(UnsafeURL, match="127.0.0.1 is a loopback address; Common Ground only "
                                        "fetches public addresses"):
        fetch_url(server.url("/data"), tmp_path / "f", max_bytes=1000)
    assert server.requests == [] and network.connections == []
    assert not (tmp_path / "f").exists()


def test_a_chunked_body_is_stopped_as_soon_as_it_passes_the_limit(serve, tmp_path):
    total = 32 << 20
    sent = []

    def endless(request):
        request.send_response(200)
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        chunk = b"x" * 65536
        for _ in range(total // len(chunk)):
            request.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent.append(len(chunk))
        request.wfile.write(b"0\r\n\r\n")

    server = serve({"/big": endless})
    with pytest.raises(IngestError, match=r"larger than the limit of 97.7 kB; the download "
                                          "was stopped") as stopped:
        fetch_url(server.url("/big"), tmp_path / "f", max_bytes=100_000, allow_private=True)
    assert server.url("/big") in str(stopped.value)
    assert not (tmp_path / "f").exists()
    time.sleep(0.2)
    assert sum(sent) < total  # the client hung up; the server could not send it all


def test_a_content_length_over_the_limit_is_refused_before_the_body(serve, tmp_path):
    def huge(request):
        request.send_response(200)
        request.send_header("Content-Length", str(3 << 30))
        request.end_headers()

    server = serve({"/huge": huge})
    with pytest.raises(IngestError) as refused:
        fetch_url(server.url("/huge"), tmp_path / "f", max_bytes=1 << 30, allow_private=True)
    assert str(refused.value) == (f"{server.url('/huge')}: refused: the file is larger than "
                                  "the limit of 1.0 GB (the server says it is 3.0 GB)")
    assert not (tmp_path / "f").exists()


def test_http_errors_name_the_status(serve, tmp_path):
    server = serve({"/boom": lambda r: reply(r, 503, b"down")})
    with pytest.raises(IngestError, match="the server answered 404 Not Found"):
        fetch_url(server.url("/missing.csv"), tmp_path / "f", max_bytes=100, allow_private=True)
    with pytest.raises(IngestError, match="the server answered 503 Service Unavailable"):
        fetch_url(server.url("/boom"), tmp_path / "f", max_bytes=100, allow_private=True)
    assert not (tmp_path / "f").exists()


def test_a_silent_server_times_out_with_a_clear_error(serve, tmp_path):
    server = serve({"/slow": lambda r: (time.sleep(1.5), reply(r, body=CSV))})
    started = time.monotonic()
    with pytest.raises(IngestError, match=r"did not answer within 0.3 s"):
        fetch_url(server.url("/slow"), tmp_path / "f", max_bytes=100, timeout=0.3,
                  allow_private=True)
    assert time.monotonic() - started < 1.2


def test_a_trickling_server_is_stopped_at_max_seconds(serve, tmp_path):
    def trickle(request):
        request.send_response(200)
        request.send_header("Content-Length", "100")
        request.end_headers()
        for _ in range(100):
            request.wfile.write(b"x")
            request.wfile.flush()
            time.sleep(0.05)

    server = serve({"/trickle": trickle})
    started = time.monotonic()
    with pytest.raises(IngestError, match="took longer than the time allowed"):
        fetch_url(server.url("/trickle"), tmp_path / "f", max_bytes=1000, timeout=1,
                  max_seconds=0.5, allow_private=True)
    assert time.monotonic() - started < 1.5
    assert not (tmp_path / "f").exists()


def test_redirects_are_followed_up_to_five_hops(serve, tmp_path):
    server = serve({})
    server.routes.update({
        "/r1": redirect("/r2"),
        "/r2": redirect("r3?x=1"),
        "/r3": redirect(server.url("/data.csv")),
        "/data.csv": lambda r: reply(r, body=CSV),
    })
    result = fetch_url(server.url("/r1"), tmp_path / "f", max_bytes=100, allow_private=True)
    assert result.final_url == server.url("/data.csv") and result.filename == "data.csv"
    assert server.paths() == ["/r1", "/r2", "/r3?x=1", "/data.csv"]

    server.routes.update({f"/loop{i}": redirect(f"/loop{i + 1}") for i in range(10)})
    with pytest.raises(IngestError, match="more than 5 redirects"):
        fetch_url(server.url("/loop0"), tmp_path / "f", max_bytes=100, allow_private=True)
    assert server.paths()[4:] == [f"/loop{i}" for i in range(6)]


@pytest.mark.parametrize(("location", "expected"), [
    ("http://127.0.0.1:{port}/secret", "127.0.0.1 is a loopback address"),
    ("http://localhost:{port}/secret", "localhost resolves to 127.0.0.1, a loopback address"),
    ("http://2130706433:{port}/secret", "another way of writing the address 127.0.0.1"),
    ("http://[::ffff:127.0.0.1]:{port}/secret", "an IPv6 form of 127.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
    ("file:///etc/passwd", "only http and https"),
])
def test_a_public_server_cannot_redirect_into_the_local_network(serve, tmp_path, network,
                                                                location, expected):
    inside = serve({"/secret": lambda r: reply(r, body=b"internal")})
    outside = serve({"/start": redirect(location.format(port=inside.port))})
    network.names["public.example"] = [[PUBLIC_IP]]
    network.routes[(PUBLIC_IP, 80)] = ("127.0.0.1", outside.port)
    with pytest.raises(UnsafeURL, match=expected):
        fetch_url("http://public.example/start", tmp_path / "f", max_bytes=100)
    assert outside.paths() == ["/start"]
    assert outside.requests[0][1]["Host"] == "public.example"
    assert inside.requests == []
    assert network.connections == [(PUBLIC_IP, 80)]


def test_the_connection_goes_to_the_address_that_was_checked(serve, tmp_path, network):
    """DNS rebinding: the name answers a public address for the check, then 127.0.0.1."""
    server = serve({"/data.csv": lambda r: reply(r, body=CSV)})
    network.names["rebind.example"] = [[PUBLIC_IP], ["127.0.0.1"]]
    network.routes[(PUBLIC_IP, 80)] = ("127.0.0.1", server.port)
    result = fetch_url("http://rebind.example/data.csv", tmp_path / "f", max_bytes=100)
    assert result.bytes == len(CSV)
    assert network.lookups == ["rebind.example"]
    assert network.connections == [(PUBLIC_IP, 80)]


def test_a_target_without_addresses_is_a_connection_error_not_a_crash(network):
    """The resolver never hands over an empty list (no address is "cannot find the host"),
    but should a target have none, the request fails as a connection would, naming the host,
    and nothing is tried."""
    target = fetch._Target("http://nowhere.example/a.csv", "http", "nowhere.example", 80,
                           "/a.csv", addresses=[])
    with pytest.raises(IngestError, match="cannot connect to nowhere.example: there is no "
                                          "checked address to connect to"):
        fetch._request(fetch._open(target, 1.0), target, 1.0)
    assert network.connections == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for public.example (openssl, valid one day)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=public.example", "-addext", "subjectAltName=DNS:public.example",
                    "-keyout", folder / "key.pem", "-out", folder / "cert.pem"],
                   check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(serve, network, monkeypatch, certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = serve({"/data.csv": lambda r: reply(r, body=CSV)}, tls=context)
    server.sni_names = names
    monkeypatch.setattr(fetch, "_tls_context", lambda: ssl.create_default_context(cafile=cert))
    for name in ("public.example", "other.example"):
        network.names[name] = [[PUBLIC_IP]]
    network.routes[(PUBLIC_IP, 443)] = ("127.0.0.1", server.port)
    return server


def test_https_to_the_pinned_address_sends_the_host_name_for_sni_and_host(tls_server,
                                                                            tmp_path):
    result = fetch_url("https://public.example/data.csv", tmp_path / "f", max_bytes=100)
    assert (tmp_path / "f").read_bytes() == CSV and result.bytes == len(CSV)
    assert tls_server.sni_names == ["public.example"]
    assert tls_server.requests[0][1]["Host"] == "public.example"


def test_https_checks_the_certificate_against_the_host_name(tls_server, tmp_path):
    with pytest.raises(IngestError, match="the TLS certificate of other.example is not valid"):
        fetch_url("https://other.example/data.csv", tmp_path / "f", max_bytes=100)
    assert tls_server.requests == []


def test_sizes_are_shown_in_binary_units():
    assert format_size(1 << 30) == "1.0 GB"
    assert format_size(100_000) == "97.7 kB"
    assert format_size(512) == "512 bytes"
