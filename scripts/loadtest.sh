#!/usr/bin/env bash
# Load test on the loopback: gunicorn (DEBUG=0) + PostgreSQL + Redis + a Celery worker with beat,
# driven by locust, headless and bounded in time. Not part of the test suite.
#
#   scripts/loadtest.sh [READERS ...]      default steps: 25 50 100 150 200 readers
#
# First a staff-only step (editors saving and submitting, an approver approving, the publish
# sweep running), then one step per reader count with the same staff; it stops at the first step
# over budget (reader p95 >= 250 ms or any error). Each step runs LOADTEST_STEP_SECONDS (60).
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379; uses its own
# database (LOADTEST_DB, default vf_loadtest, seeded once) and Redis db (LOADTEST_REDIS_DB, 5).
set -euo pipefail
cd "$(dirname "$0")/.."

py=.venv/bin/python
step_seconds="${LOADTEST_STEP_SECONDS:-60}"
db="${LOADTEST_DB:-vf_loadtest}"
redis_db="${LOADTEST_REDIS_DB:-5}"
posts="${LOADTEST_POSTS:-20000}"
workers="${LOADTEST_GUNICORN_WORKERS:-3}"
threads="${LOADTEST_GUNICORN_THREADS:-4}"  # gthread: a slow admin request does not queue readers
out="${LOADTEST_OUT:-var/loadtest}"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(25 50 100 150 200)
staff=$(( ${LOADTEST_EDITORS:-4} + ${LOADTEST_APPROVERS:-1} ))
port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
host="http://127.0.0.1:$port"
mkdir -p "$out"

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" REDIS_URL="redis://127.0.0.1:6379/$redis_db"
export DEBUG=0 SECRET_KEY="loadtest-only-not-a-secret-$port" ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
# Plain HTTP on the loopback: cookies without the Secure flag, no redirect to HTTPS.
export SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 VIETFRONT_SECURE_SSL_REDIRECT=0
export VIETFRONT_PUBLISH_SWEEP_SECONDS=10 EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
export STATIC_ROOT="$out/static" VIETFRONT_MEDIA_STORAGE=local MEDIA_ROOT="$out/media"
export LOADTEST_PLAN="$out/plan.json"

psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres "$db"
echo "== preparing $db (migrate, static files, seed $posts posts, staff, plan)"
"$py" manage.py migrate -v0
"$py" manage.py collectstatic --noinput -v0
"$py" manage.py seed_loadtest --posts "$posts" --plan "$LOADTEST_PLAN" | tail -1
redis-cli -h 127.0.0.1 -p 6379 -n "$redis_db" flushdb >/dev/null

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
"$py" -m gunicorn vietfront.wsgi:application --bind "127.0.0.1:$port" --workers "$workers" --threads "$threads" \
  --log-level warning >"$out/gunicorn.log" 2>&1 &
pids+=($!)
"$py" -m celery -A vietfront worker -B --concurrency 1 --loglevel WARNING \
  --schedule "$out/celerybeat-schedule" >"$out/celery.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do curl -fs -o /dev/null "$host/" && break; sleep 1; done
curl -fs -o /dev/null "$host/" || { echo "gunicorn did not answer"; tail -20 "$out/gunicorn.log"; exit 1; }
echo "== gunicorn ($workers workers x $threads threads) on $host, celery worker with beat (sweep every 10 s)"

run_step() {  # name users [user classes...]
  local name="$1" users="$2"
  shift 2
  # Other jobs on the machine skew every figure: record the load average around each step.
  cut -d' ' -f1 /proc/loadavg >"$out/$name.load"
  LOADTEST_SUMMARY="$out/$name.json" timeout $(( step_seconds + 60 )) \
    "$py" -m locust -f loadtest/locustfile.py --headless --host "$host" --users "$users" \
    --spawn-rate 50 --run-time "${step_seconds}s" --stop-timeout 10 --loglevel WARNING --only-summary \
    "$@" >"$out/$name.log" 2>&1 || true
  cut -d' ' -f1 /proc/loadavg >>"$out/$name.load"
  sed -n '/^class /,$p' "$out/$name.log"
}

echo "== step staff-only: $staff staff users, no readers (${step_seconds} s)"
run_step staff "$staff" Editor Approver
for readers in "${steps[@]}"; do
  echo "== step readers-$readers: $readers readers + $staff staff (${step_seconds} s)"
  run_step "readers-$readers" $(( readers + staff ))
  if ! "$py" - "$out/readers-$readers.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
r = s["classes"].get("reader", {})
ok = r.get("p95", 1e9) < 250 and all(c["errors"] == 0 for c in s["classes"].values())
sys.exit(0 if ok else 1)
PY
  then
    echo "   over budget: no higher step"
    break
  fi
done

"$py" - "$out" "${steps[@]}" <<'PY'
import json, sys
from pathlib import Path
out, steps = Path(sys.argv[1]), sys.argv[2:]
rows, best = [], None
base = json.loads((out / "staff.json").read_text())
runs = [("staff only", 0, base, "staff")]
for n in steps:
    f = out / f"readers-{n}.json"
    if f.exists():
        runs.append((f"{n} readers", int(n), json.loads(f.read_text()), f"readers-{n}"))
print("\n| step | class | requests | req/s | p50 ms | p95 ms | p99 ms | errors | load avg before → after |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for label, n, s, name in runs:
    load = " → ".join((out / f"{name}.load").read_text().split())
    for kind, c in s["classes"].items():
        print(f"| {label} | {kind} | {c['requests']} | {c['rps']} | {c['p50']} | {c['p95']} | {c['p99']} | {c['errors']} | {load} |")
    if n and s["classes"].get("reader", {}).get("p95", 1e9) < 250 and all(c["errors"] == 0 for c in s["classes"].values()):
        best = (label, n, s)
if best is None:
    print("\nNo reader step met the budget (p95 < 250 ms, 0 errors).")
    sys.exit(1)
label, n, s = best
r = s["classes"]["reader"]
print(f"\nHighest reader load within budget: {n} readers, {r['rps']} req/s, p95 {r['p95']} ms, 0 errors.")
print("Staff with and without reader load (p50 / p95 ms):")
for kind in ("editor", "approver"):
    a, b = base["classes"].get(kind), s["classes"].get(kind)
    if a and b:
        print(f"  {kind}: alone {a['p50']} / {a['p95']}; with {n} readers {b['p50']} / {b['p95']}")
PY
