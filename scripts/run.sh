#!/usr/bin/env bash
# Runs vietfront on this machine with the embedded default: SQLite, no broker, no other service.
# Sets up .venv, installs, migrates, loads the pre-2025 Front tree, seeds demo accounts and
# content, then serves on http://127.0.0.1:8000 with a Celery worker and beat alongside.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8000}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
PY=.venv/bin/python

$PY manage.py migrate --no-input
$PY manage.py import_units --structure pre-2025
$PY manage.py seed_demo
$PY manage.py seed_demo_content

mkdir -p var/log
# The worker runs beat in-process (-B): one process, so exactly one beat in the embedded default.
.venv/bin/celery -A vietfront worker -B --loglevel INFO --concurrency 1 \
  --schedule var/celerybeat-schedule >var/log/celery.log 2>&1 &
CELERY_PID=$!
trap 'kill "$CELERY_PID" 2>/dev/null || true' EXIT INT TERM

echo "Trang cộng đồng: http://127.0.0.1:${PORT}/   quản trị: http://127.0.0.1:${PORT}/quan-tri/"
echo "Celery log: var/log/celery.log"
$PY manage.py runserver "127.0.0.1:${PORT}"
