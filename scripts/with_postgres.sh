#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server, then stop and delete the server.
#
#   scripts/with_postgres.sh CMD [ARGS...]
#
# Uses Debian's server binaries (/usr/lib/postgresql/<highest version>/bin), a fresh
# cluster in a temp dir, unix socket only (no TCP), trust auth, superuser `postgres`
# (pytest-django creates and drops test_<name> itself). fsync is off: the data is
# thrown away. CMD sees:
#   DATABASE_URL        postgres://postgres@<%-encoded socket dir>:PORT/commonground
#   CG_PG_VERSION       major version, e.g. 15
#   PGHOST PGPORT PGUSER PGDATABASE   so psql works with no arguments
# The server is stopped on exit, also when CMD fails or the script is interrupted;
# the exit status is CMD's.
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1 || true)
if [[ -z "$initdb" ]]; then
  echo "with_postgres: no PostgreSQL server found under /usr/lib/postgresql/*/bin" \
       "(run scripts/setup.sh test, or apt-get install postgresql)" >&2
  exit 1
fi
pgbin=$(dirname "$initdb")
CG_PG_VERSION=$(basename "$(dirname "$pgbin")")
port=${CG_PG_PORT:-54329} # only names the socket file inside our own dir: cannot clash

# PostgreSQL refuses to run as root: as root, run the server as the `postgres` user
# (created by Debian's package); otherwise as ourselves.
if [[ $EUID -eq 0 ]]; then
  as_pg=(runuser -u postgres --)
else
  as_pg=()
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cg-pg.XXXXXX")
chmod 755 "$tmp" # the test runner (root or not) must reach the socket
if [[ $EUID -eq 0 ]]; then chown postgres: "$tmp"; fi
data=$tmp/data
log=$tmp/server.log

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -f "$data/postmaster.pid" ]]; then
    "${as_pg[@]+"${as_pg[@]}"}" "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_pg[@]+"${as_pg[@]}"}" "$pgbin/initdb" -D "$data" -A trust -U postgres -E UTF8 \
  --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }
"${as_pg[@]+"${as_pg[@]}"}" "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
  -o "-k $tmp -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { echo "with_postgres: server did not start:" >&2; cat "$log" >&2; exit 1; }

# The database DATABASE_URL names exists too, so `manage.py migrate` etc. work against it.
"$pgbin/createdb" -h "$tmp" -p "$port" -U postgres commonground

enc_host=${tmp//\//%2F}
export DATABASE_URL="postgres://postgres@${enc_host}:${port}/commonground"
export CG_PG_VERSION PGHOST=$tmp PGPORT=$port PGUSER=postgres PGDATABASE=postgres
echo "with_postgres: PostgreSQL $CG_PG_VERSION on socket $tmp port $port"

set +e
"$@"
rc=$?
set -e
exit "$rc"
