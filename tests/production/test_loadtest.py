"""The load test is a command, not a timed test: here only its locustfile is checked. Importing
locust monkey-patches the process (gevent), so it is imported in a child interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json
from locust import HttpUser
import loadtest.locustfile as f

classes = {}
for cls in (f.Reader, f.Editor, f.Approver):
    assert issubclass(cls, HttpUser)
    classes[cls.__name__] = {"kind": cls.kind, "tasks": sorted({t.__name__ for t in cls.tasks}),
                             "fixed_count": cls.fixed_count, "weight": cls.weight}
r = f.Recorder()
r.warmup = 0
for ms in range(1, 101):
    r.add("reader", "reader: post page", float(ms), None)
r.add("editor", "editor: save and submit", 40.0, "save answered 200")
print(json.dumps({"classes": classes, "summary": r.summary()}))
"""


def test_locustfile_imports_and_defines_its_user_classes(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "password": "x", "units": ["/ha-noi/"], "posts": ["/ha-noi/bai-1/"], "searches": ["ha noi"],
        "search_url": "/tim-kiem/", "feeds": ["/ha-noi/rss/"],
        "editors": [{"username": "lt.bientap.006", "posts": []}], "approvers": [{"username": "lt.duyet.hanoi"}],
    }))
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE], cwd=ROOT, env={**os.environ, "LOADTEST_PLAN": str(plan)},
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    classes = result["classes"]
    assert classes["Reader"]["tasks"] == ["feed", "post_page", "search", "unit_page"]
    assert classes["Reader"]["fixed_count"] == 0 and classes["Reader"]["weight"] == 10
    assert classes["Editor"]["tasks"] == ["save_post"] and classes["Editor"]["fixed_count"] == 4
    assert classes["Approver"]["tasks"] == ["approve"] and classes["Approver"]["fixed_count"] == 1
    reader = result["summary"]["classes"]["reader"]
    assert (reader["requests"], reader["p50"], reader["p95"], reader["p99"], reader["errors"]) == (100, 51.0, 96.0, 100.0, 0)
    assert result["summary"]["classes"]["editor"]["errors"] == 1
    assert result["summary"]["errors"] == {"editor editor: save and submit: save answered 200": 1}
