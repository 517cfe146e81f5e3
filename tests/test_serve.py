"""``commonground serve``: the hub under gunicorn with its background worker, as in production.

Each test starts the real command on 127.0.0.1 and a free port with production settings
(``DEBUG`` off) and a SQLite file database that the test migrated and wrote to, so what the
server answers shows it reads the same data. Loopback only; bounded: every wait has a limit.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NINJA_STATIC = Path(__import__("ninja").__file__).parent / "static"
START_SECONDS = 90  # collectstatic, then gunicorn and its workers boot on a busy machine
STOP_SECONDS = 45  # the command's own grace (serve.GRACE_SECONDS) and a margin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int | str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:  # nothing listening (yet)
        return repr(exc), b""


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, grandchildren …), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it exited while we looked
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def production_env(tmp: Path) -> dict:
    """Production settings (``DEBUG`` off) with a SQLite file database and folders in ``tmp``."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "commonground.settings",
            "DATABASE_URL": f"sqlite:///{tmp / 'hub.sqlite3'}",
            "COMMONGROUND_VAR": str(tmp / "var"), "COMMONGROUND_DATASTORE": str(tmp / "ds"),
            "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0", "COMMONGROUND_TASKS": "database"}


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory):
    """A migrated database holding one published dataset, which the server must list."""
    env = production_env(tmp_path_factory.mktemp("serve"))
    script = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); "
        "from commonground.accounts.models import Organisation; "
        "from commonground.catalogue.models import Dataset; "
        "o = Organisation.objects.create(slug='council', name='Council', kind='council'); "
        "Dataset.objects.create(name='served-from-the-test-database', title='Served', "
        "organisation=o, state=Dataset.State.PUBLISHED)")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, timeout=300,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def serve(env: dict, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "commonground.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), *extra], cwd=REPO, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def wait_until_serving(server: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while get(base + "/accounts/login/")[0] != 200:
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"not serving (exit {server.poll()}):\n{server.stdout.read()[-3000:]}")
        time.sleep(0.25)


def test_serve_refuses_a_database_that_is_not_migrated_and_starts_nothing(tmp_path):
    server = serve(production_env(tmp_path), free_port())
    output, _ = server.communicate(timeout=120)
    assert server.returncode == 4
    assert "lacks" in output and "python manage.py migrate" in output
    assert "gunicorn" not in output.lower()


def test_serve_refuses_nonsense_workers(tmp_path):
    server = serve(production_env(tmp_path), free_port(), "--workers", "0")
    output, _ = server.communicate(timeout=120)
    assert server.returncode == 2
    assert "--workers must be at least 1, not 0" in output


def test_serve_answers_pages_data_and_static_files_then_stops_both_children(hub_env):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(hub_env, port, "--workers", "2")
    try:
        wait_until_serving(server, base)
        processes = descendants(server.pid)
        commands = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    for pid in processes if alive(pid)}
        assert sum("gunicorn" in c for c in commands.values()) == 3, commands  # master + 2
        assert sum("db_worker" in c for c in commands.values()) == 1, commands

        status, body = get(base + "/api/3/action/package_list")  # the test's data
        assert status == 200 and json.loads(body)["result"] == ["served-from-the-test-database"]

        status, docs = get(base + "/api/docs")  # the API docs and every file they load
        assert status == 200
        static = re.findall(r'(?:src|href)="(/static/[^"]+)"', docs.decode())
        assert any(path.endswith("swagger-ui-bundle.js") for path in static), static
        for path in static:
            status, content = get(base + path)
            assert status == 200, path
            assert content == (NINJA_STATIC / path.removeprefix("/static/")).read_bytes()

        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=STOP_SECONDS)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, output[-3000:]
    assert [pid for pid in processes if alive(pid)] == []  # gunicorn, its workers, db_worker


def test_serve_stops_the_web_server_when_the_worker_dies(hub_env):
    port = free_port()
    server = serve(hub_env, port, "--workers", "1")
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}")
        processes = descendants(server.pid)
        worker = next(pid for pid in processes
                      if b"db_worker" in Path(f"/proc/{pid}/cmdline").read_bytes())
        os.kill(worker, signal.SIGKILL)
        output, _ = server.communicate(timeout=STOP_SECONDS)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 1
    assert "background worker (db_worker) exited with status -9" in output
    assert [pid for pid in processes if alive(pid)] == []
