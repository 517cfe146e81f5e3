#!/usr/bin/env bash
# The whole check, as CI runs it (`make test`, `.ci/run`):
#   setup (test extras, chromium, postgresql) -> ruff -> import contracts -> mypy
#   -> pytest on SQLite -> pytest on PostgreSQL (each: parallel workers, then the flushing tests)
# Arguments are passed to both pytest runs, e.g. `scripts/test.sh -x -k places`.
# Exits non-zero if any stage fails; pytest's "no tests collected" (exit 5) is a failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Compiled modules are kept between the runs below (outside the checkout): with
# PYTHONDONTWRITEBYTECODE set, every pytest process (two workers per run, four runs) compiled
# the libraries and rewrote every test module's asserts again, about 26 s of CPU where a
# kept cache takes 13.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX=${PYTHONPYCACHEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/commonground/pycache}

bash scripts/setup.sh test

mkdir -p test-artifacts # screenshots from tests/browser (git-ignored)

echo "== ruff check =="
.venv/bin/ruff check .

echo "== import contracts (lint-imports; pyproject.toml [tool.importlinter]) =="
.venv/bin/lint-imports --no-cache --no-logo

echo "== mypy (the pure core; pyproject.toml [tool.mypy]) =="
.venv/bin/mypy

# Each database's run is two pytest runs, each on one worker per core (pytest-xdist, a whole
# file to a worker, each worker its own test database): first the tests that share the
# session's loaded city, then those that flush the database when they end (browser, live
# server, own transactions), which must never run before a test that needs the city.
# tests/conftest.py splits them (COMMONGROUND_TESTS_PART).
run_pytest() { # label, pytest args...
  local label=$1 rc=0 shared=0 flushing=0
  shift
  echo "== pytest on $label: tests sharing the loaded city, on parallel workers =="
  COMMONGROUND_TESTS_PART=shared .venv/bin/python -m pytest -n "${CG_TEST_WORKERS:-auto}" \
    --dist loadfile "$@" || shared=$?
  echo "== pytest on $label: tests that flush the database (each worker its own database) =="
  COMMONGROUND_TESTS_PART=flushing .venv/bin/python -m pytest -n "${CG_TEST_WORKERS:-auto}" \
    --dist loadfile "$@" || flushing=$?
  # "No tests collected" (exit 5) in one part is fine when the arguments chose the other part.
  if ((shared == 5 && flushing == 5)); then
    echo "test: pytest on $label collected no tests: failing" >&2
    rc=5
  elif ((shared != 0 && shared != 5)) || ((flushing != 0 && flushing != 5)); then
    echo "test: pytest on $label failed (shared part: exit $shared, flushing part: exit $flushing)" >&2
    rc=1
  fi
  return "$rc"
}

# SQLite: make sure an inherited DATABASE_URL doesn't point this run elsewhere.
(unset DATABASE_URL; run_pytest SQLite "$@")

# PostgreSQL: only the tests that touch the database, browser tests aside (tests/conftest.py
# decides): the pure core's tests ran above and cannot differ by database, and the pages the
# browser drives are asked the same of PostgreSQL by their own test-client tests.
export -f run_pytest
COMMONGROUND_TESTS_DATABASE_ONLY=1 \
  bash scripts/with_postgres.sh bash -c 'run_pytest "PostgreSQL $CG_PG_VERSION" "$@"' run_pytest "$@"

echo "== all stages passed =="
