#!/usr/bin/env bash
# Install, migrate, load the real data and serve the hub (default http://127.0.0.1:8000/).
# Env: HOST, PORT (server address), COMMONGROUND_DATA, DATABASE_URL (see settings).
set -euo pipefail

# The demo is a development server with known passwords: it asks for debug mode (and with it
# the demo's own secret key). A real hub runs with DEBUG unset, SECRET_KEY and ALLOWED_HOSTS.
export DEBUG="${DEBUG:-1}"

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

mkdir -p var # default SQLite database lives in var/commonground.sqlite3
py=.venv/bin/python

echo "== migrate =="
"$py" manage.py migrate --noinput
echo "== collectstatic =="
"$py" manage.py collectstatic --noinput -v 0
echo "== load_places (idempotent) =="
"$py" manage.py load_places
echo "== demo accounts and the data folder's point datasets (idempotent) =="
"$py" manage.py demo_accounts
"$py" manage.py seed_catalogue
"$py" manage.py seed_energy
"$py" manage.py seed_community
echo "== the smart-city register from the data folder, kept by the council (idempotent) =="
"$py" manage.py load_register
echo "== live feeds: the data folder's recorded sensor data, back-filled (idempotent) =="
"$py" manage.py replay_feeds --once
# The worker's round (every minute): pulled feeds, dataset URL refreshes, retention.
"$py" manage.py run_pulls --schedule-only

# The background worker runs large ingests and URL fetches; it stops with the server.
"$py" manage.py db_worker --no-reload --interval 0.5 &
worker=$!
# A small replayer plays the recorded sensor data forward from now, 60 times faster than
# recorded, so the feeds' live map moves; it stops with the server too.
"$py" manage.py replay_feeds --speedup 60 >/dev/null &
replayer=$!
trap 'kill "$worker" "$replayer" 2>/dev/null || true' EXIT INT TERM

addr="${HOST:-127.0.0.1}:${PORT:-8000}"
echo "== serving Common Ground on http://$addr/ (Ctrl-C stops) =="
"$py" manage.py runserver --noreload "$addr"
