"""``bench_public`` runs on any data set, including one where the province measured has no
posts of its own (issue 14: it crashed there), and refuses an unknown province clearly."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _bench(**options) -> str:
    out = io.StringIO()
    call_command("bench_public", runs=1, stdout=out, **options)
    return out.getvalue()


def test_it_measures_a_province_without_posts_of_its_own(posts, tree):
    """Bắc Ninh has no page and no posts; its subtree none either: the post page is the
    country's newest."""
    table = _bench(province=tree.bacninh.path)
    assert "| floor (constant HttpResponse) | " in table
    assert f"| province page ({tree.bacninh.path}) |" in table
    assert "| post page |" in table and "| central home |" in table


def test_it_picks_the_busiest_province_by_default(posts, tree):
    table = _bench()
    assert f"| province page ({tree.hanoi.path}) |" in table
    assert f"| commune page ({tree.vanmieu.path}) |" in table


def test_an_unknown_province_is_refused(posts):
    with pytest.raises(CommandError, match="No unit at path 'khong-co'"):
        _bench(province="khong-co")
