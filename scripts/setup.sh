#!/usr/bin/env bash
# Install what Common Ground needs, idempotently; fast when everything is already there.
#
#   scripts/setup.sh          the app only           (pip install -e .)
#   scripts/setup.sh test     + test tools, Debian's chromium and postgresql  (-e .[test])
#   scripts/setup.sh bench    + test tools and the benchmark libraries       (-e .[test,bench])
#
# Debian packages are installed only when missing (apt-get update runs once, only then).
# pip installs the versions pinned in constraints.txt (reproducible installs; `make lock`
# regenerates it from pyproject.toml). pip runs only when pyproject.toml, constraints.txt or
# the extras changed since the last successful install: a stamp in .venv/ holds their hash.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-}
# level: each spec's extras include the lower levels' ones.
case "$mode" in
  "")    spec="." level=0 ;;
  test)  spec=".[test]" level=1 ;;
  bench) spec=".[test,bench]" level=2 ;;
  *)     echo "usage: $0 [test|bench]" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- Debian packages
want=()
# A Debian python3 cannot create a venv without python3-venv (ensurepip).
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  want+=(python3-venv)
fi
if [[ "$mode" == "test" ]]; then
  # chromium: browser tests (Playwright drives /usr/bin/chromium; no `playwright install`).
  # fonts-dejavu-core: so pages render text in headless Chromium.
  # postgresql: server binaries for the second test run (scripts/with_postgres.sh).
  want+=(chromium fonts-dejavu-core postgresql)
fi

missing=()
for pkg in "${want[@]+"${want[@]}"}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  if [[ $EUID -eq 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: not root and no password-less sudo; run as root:" >&2
    echo "         apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "== apt-get install ${missing[*]} =="
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]+"${sudo[@]}"}" apt-get update -qq
  "${sudo[@]+"${sudo[@]}"}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
elif ((${#want[@]})); then
  echo "setup: Debian packages present: ${want[*]}"
fi

# ---------------------------------------------------------------- virtualenv
if [[ ! -x .venv/bin/python ]]; then
  echo "== python3 -m venv .venv =="
  python3 -m venv .venv
fi

# ---------------------------------------------------------------- pip
# The stamp holds "<hash of pyproject.toml, constraints.txt and python> <highest level
# installed>": a run asking for the same or a lower level with unchanged files skips pip, so
# alternating `make demo` and `make test` doesn't reinstall.
stamp=.venv/.commonground-setup-stamp
hash=$( { cat pyproject.toml constraints.txt; .venv/bin/python -VV; } | sha256sum | cut -d' ' -f1)
read -r old_hash old_level <"$stamp" 2>/dev/null || true
if [[ "${old_hash:-}" == "$hash" && "${old_level:-}" =~ ^[0-9]+$ && $old_level -ge $level ]]; then
  echo "setup: .venv up to date with pyproject.toml and constraints.txt ($spec)"
else
  echo "== pip install -e '$spec' =="
  rm -f "$stamp"
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -q \
    -c constraints.txt -e "$spec"
  if [[ "${old_hash:-}" == "$hash" && "${old_level:-}" =~ ^[0-9]+$ && $old_level -gt $level ]]; then
    level=$old_level
  fi
  echo "$hash $level" >"$stamp"
fi
