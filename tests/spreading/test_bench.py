"""The benchmark command runs (its figures are in docs/PERFORMANCE.md, not asserted here)."""

from __future__ import annotations

import io

from django.core.management import call_command

from pages.models import CommunityPage


def test_bench_spreading_runs_on_the_small_tree(tree):
    out = io.StringIO()
    call_command("bench_spreading", "--chunk-size", "3", stdout=out)
    text = out.getvalue()
    assert "seeded 10 active pages" in text and "targeted: 9; chunk size: 3" in text
    assert "rows by state: {'shown': 9}; showing: 9; withdrawn: 9" in text
    assert CommunityPage.objects.count() == 10
