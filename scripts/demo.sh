#!/usr/bin/env bash
# Install, migrate, load the real data and serve the hub (default http://127.0.0.1:8000/).
# Env: HOST, PORT (server address), COMMONGROUND_DATA, DATABASE_URL (see settings).
set -euo pipefail

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

addr="${HOST:-127.0.0.1}:${PORT:-8000}"
echo "== serving Common Ground on http://$addr/ (Ctrl-C stops) =="
exec "$py" manage.py runserver "$addr"
