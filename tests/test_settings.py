"""Production defaults: debug is off unless asked for, no fallback secret key exists outside
debug, the host names must be given, and ``manage.py check --deploy`` passes with production
settings. Each case imports the settings in a fresh interpreter with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: What the test run itself sets (the browser tests' async switch, the tests' settings module)
#: and a server would not have.
TEST_ONLY = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE",
             "DJANGO_ALLOW_ASYNC_UNSAFE"}
PRODUCTION = {"SECRET_KEY": "x" * 20 + "a-long-random-production-key-0123456789",
              "ALLOWED_HOSTS": "hub.example.org"}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    clean.update(env, COMMONGROUND_VAR=os.environ.get("COMMONGROUND_VAR", str(REPO / "var")))
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=clean,
                          capture_output=True, text=True, timeout=120)


SHOW = "import commonground.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)"


def test_debug_is_off_when_not_asked_for():
    out = run_python(SHOW, **PRODUCTION)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "False"


def test_without_a_secret_key_and_debug_off_the_site_refuses_to_start():
    out = run_python(SHOW, ALLOWED_HOSTS="hub.example.org")
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr and "SECRET_KEY" in out.stderr


def test_no_published_key_is_used_outside_debug():
    out = run_python("import commonground.settings as s; print(s.SECRET_KEY)", **PRODUCTION)
    assert out.stdout.strip() == PRODUCTION["SECRET_KEY"]
    source = (REPO / "commonground" / "settings.py").read_text()
    demo_key = "demo-only-insecure-key-set-SECRET_KEY-in-production"
    assert source.count(demo_key) == 1  # the one place, behind ``if DEBUG``


def test_host_names_are_required_when_debug_is_off():
    out = run_python(SHOW, SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert out.returncode != 0
    assert "ALLOWED_HOSTS" in out.stderr


def test_the_demo_asks_for_debug_and_gets_local_hosts():
    out = run_python(SHOW, DEBUG="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("True ") and "127.0.0.1" in out.stdout
    assert 'export DEBUG="${DEBUG:-1}"' in (REPO / "scripts" / "demo.sh").read_text()


def test_check_deploy_passes_with_production_settings():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, capture_output=True, text=True, timeout=180,
        env={**{k: v for k, v in os.environ.items() if k not in TEST_ONLY},
             **PRODUCTION, "DJANGO_SETTINGS_MODULE": "commonground.settings"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
