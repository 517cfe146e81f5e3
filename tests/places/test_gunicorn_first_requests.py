"""A fresh server under a burst of first requests, served as in production: gunicorn, two
worker processes with eight threads each, production settings, a SQLite file database loaded
with the real city.

24 simultaneous first requests to pages that build the city in memory (place profiles, the
point lookup, the energy page with the lens, the home map) must all answer 200 and no worker
may die; then the city is reloaded by another process while the server runs, and a second
burst, the first requests on the new load, must do the same. Before the fix, the first burst
killed workers with a segmentation fault in GEOS.

Loopback only; bounded: about a minute on an idle machine (the workers boot while the
database is migrated and loaded; a second load; two bursts), every step with a time limit.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gunicorn
import pytest

REPO = Path(__file__).resolve().parents[2]
THREADS = 24
DIED = re.compile(r"was sent SIG|exited with code|Worker failed to boot|Booting worker", re.I)
# the lookup point is the centre of Bletchley; the lookup page answers with its area's page
PAGES = ["/places/lsoa21/E01016710/", "/places/ward/E05009406/", "/places/msoa21/E02003459/",
         "/places/lookup?lat=52.0&lon=-0.73", "/api/places/lookup?lat=52.0&lon=-0.73",
         "/energy/neighbourhoods/", "/", "/api/places/areas/lsoa21/E01016711"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *commands: list[str], timeout: float = 120) -> None:
    """Run management commands, one after the other, in one process."""
    script = ("import django; django.setup(); from django.core.management import call_command; "
              + "; ".join(f"call_command(*{command!r})" for command in commands))
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, timeout=timeout,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"{commands} failed:\n{done.stderr[-3000:]}"


def get(url: str) -> int | str:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError as exc:  # a worker died under the request
        return repr(exc)


def burst(base: str) -> dict[str, list]:
    """24 requests released at the same instant; the answers per page."""
    urls = [PAGES[i % len(PAGES)] for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def one(url):
        barrier.wait()
        return url, get(base + url)

    with ThreadPoolExecutor(THREADS) as pool:
        answers: dict[str, list] = {}
        for url, status in pool.map(one, urls):
            answers.setdefault(url, []).append(status)
    return answers


def boots(log: Path) -> list[str]:
    """Lines of the gunicorn master's log about workers starting, stopping or dying."""
    return [line for line in log.read_text().splitlines() if DIED.search(line)]


@pytest.mark.live
def test_gunicorn_with_threads_answers_24_first_requests_and_a_reload(tmp_path, data_dir):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "commonground.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
           "COMMONGROUND_VAR": str(tmp_path / "var"),
           "COMMONGROUND_DATASTORE": str(tmp_path / "datastore"),
           "COMMONGROUND_DATA": str(data_dir), "DEBUG": "0",
           "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "0"}
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "commonground.wsgi", "-w", "2", "--threads", "8",
             "-b", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5",
             # gunicorn 27's control socket is one path per user: not shared with other runs
             *(["--no-control-socket"] if gunicorn.version_info >= (27,) else [])],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        manage(env, ["migrate", "--noinput"], ["load_places"])  # while the workers boot
        deadline = time.monotonic() + 60
        while get(base + "/accounts/login/") != 200:  # a page that builds nothing
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        started = boots(log)
        assert len(started) == 2, started  # two workers booted, none died yet

        first = burst(base)
        manage(env, ["load_places", "--force"])  # a reload by another process, server running
        after_reload = burst(base)

        assert boots(log) == started, log.read_text()  # no worker died or was replaced
        for answers in (first, after_reload):
            assert {url: set(statuses) for url, statuses in answers.items()} == {
                url: {200} for url in PAGES}, log.read_text()[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=30)
