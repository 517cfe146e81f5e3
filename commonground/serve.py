"""``commonground serve``: the hub as in production, in one command.

Before serving: the database must be migrated (the command refuses otherwise and says how),
the static files are collected into ``STATIC_ROOT`` for WhiteNoise (outside debug mode; in
debug mode WhiteNoise finds them where they are), and the background worker's round is
queued (``manage.py run_pulls --schedule-only``). Then two child processes run until the
command gets SIGTERM or SIGINT (Ctrl-C):

- gunicorn serving ``commonground.wsgi``: ``--workers`` processes (default one per CPU this
  process may use: each holds its own copy of the loaded places, docs/SCALE.md) of
  :data:`THREADS` threads each;
- ``manage.py db_worker``, the background worker (large ingests, URL fetches, feed pulls,
  the ingest sweep), unless ``COMMONGROUND_TASKS=immediate`` (then nothing needs one).

On SIGTERM or SIGINT both children are sent SIGTERM (gunicorn finishes the requests it has,
the worker its task) and are killed if still running after :data:`GRACE_SECONDS`. If one
child exits by itself the other is stopped too and the command exits non-zero, so a
supervisor (systemd, a container runtime) restarts the pair. Settings come from the
environment as for every command (``settings.py``): outside debug mode ``SECRET_KEY`` and
``ALLOWED_HOSTS`` are required. More gunicorn options: ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

#: Threads per gunicorn worker process: a slow download or a first page that builds the city
#: does not hold up the requests behind it (tests/places/test_gunicorn_first_requests.py).
THREADS = 4
#: Seconds the children get to finish after SIGTERM before they are killed (gunicorn's own
#: graceful timeout is 30 s).
GRACE_SECONDS = 35
#: How often (seconds) the command looks whether a child has exited.
POLL_SECONDS = 0.2


def usable_cpus() -> int:
    """CPUs this process may run on (a container's or ``taskset``'s limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def add_serve_parser(sub) -> None:
    serve = sub.add_parser(
        "serve", help="run the hub under gunicorn with its background worker",
        description="Example: commonground serve --host 127.0.0.1 --port 8000 --workers 2\n"
                    "Needs a migrated database (python manage.py migrate); outside DEBUG=1 "
                    "also SECRET_KEY and ALLOWED_HOSTS. SIGTERM or Ctrl-C stops the server "
                    "and the worker.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: behind a proxy)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=usable_cpus(),
                       help=f"web worker processes, {THREADS} threads each "
                            "(default: one per usable CPU)")


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    """The gunicorn child's command line: access log on standard output."""
    import gunicorn

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address
    return [sys.executable, "-m", "gunicorn", "commonground.wsgi", "--bind", bind,
            "--workers", str(workers), "--threads", str(THREADS), "--access-logfile", "-",
            # gunicorn 27's control socket is one path per user: not shared between hubs
            *(["--no-control-socket"] if gunicorn.version_info >= (27,) else [])]


def worker_command() -> list[str] | None:
    """The background worker's command line, or None when tasks run inside the request."""
    from django.conf import settings
    from django.utils.module_loading import import_string
    from django_tasks_db import DatabaseBackend

    if not issubclass(import_string(settings.TASKS["default"]["BACKEND"]), DatabaseBackend):
        return None
    return [sys.executable, "-m", "django", "db_worker", "--no-reload"]


def prepare() -> None:
    """Static files collected (outside debug mode) and the worker's round queued."""
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    call_command("run_pulls", schedule_only=True)


def check(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, in one line, or None."""
    if args.workers < 1:
        return f"--workers must be at least 1, not {args.workers}"
    if not 0 < args.port < 65536:
        return f"--port must be between 1 and 65535, not {args.port}"
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return "gunicorn is not installed: pip install gunicorn (or scripts/setup.sh)"
    return None


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT; 0 after a requested stop, 1 if a child stopped alone."""
    import subprocess

    from django.conf import settings

    prepare()
    commands = {"web server (gunicorn)": gunicorn_command(args.host, args.port, args.workers)}
    if (worker := worker_command()) is not None:
        commands["background worker (db_worker)"] = worker
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    stop_asked: list[int] = []

    def ask_stop(signum, frame) -> None:
        stop_asked.append(signum)

    previous = {s: signal.signal(s, ask_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    children: dict[str, subprocess.Popen] = {}
    try:
        for name, command in commands.items():
            children[name] = subprocess.Popen(command, env=env)  # noqa: S603 (our own commands)
        address = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Common Ground on http://{address}:{args.port}/ ({args.workers} worker(s) of "
              f"{THREADS} threads; {', '.join(children)}); SIGTERM or Ctrl-C stops it",
              file=sys.stderr, flush=True)
        if settings.DEBUG:
            print("warning: DEBUG=1 (the demo's key, error pages with details): a real hub "
                  "runs with DEBUG unset", file=sys.stderr, flush=True)
        while not stop_asked and all(child.poll() is None for child in children.values()):
            time.sleep(POLL_SECONDS)
        exited = [f"the {name} exited with status {child.returncode}"
                  for name, child in children.items() if child.poll() is not None]
    finally:
        _stop(children)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stop_asked:
        return 0
    print(f"error: {'; '.join(exited)}: stopped the rest; see the messages above",
          file=sys.stderr)
    return 1


def _stop(children: dict) -> None:
    """SIGTERM to every child still running, then SIGKILL to those left after the grace."""
    import subprocess

    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
