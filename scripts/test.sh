#!/usr/bin/env bash
# Runs the test suite. On SQLite with nothing set; on PostgreSQL and Redis when DATABASE_URL and
# REDIS_URL are set. Extra arguments go to pytest. pytest's "no tests ran" (exit 5) is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
.venv/bin/python -m ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
if [ ! -x /usr/bin/chromium ]; then
  echo "note: /usr/bin/chromium is missing, so the browser tests are skipped (apt-get install chromium)" >&2
fi
.venv/bin/python -m pytest "$@"
