"""``bench_api`` measures every endpoint on a small data set, and refuses an empty one clearly."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.channels.test_api import live  # noqa: F401 - fixture
from tests.pages.conftest import pages  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_it_measures_every_endpoint(live):  # noqa: F811
    out = io.StringIO()
    call_command("bench_api", runs=1, stdout=out)
    rows = [line for line in out.getvalue().splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 14
    assert not [row for row in rows if "n/a" in row], rows
    assert "| search 'hoi nghi' |" in out.getvalue()


def test_an_empty_database_is_refused(tree):
    with pytest.raises(CommandError, match="seed the database first"):
        call_command("bench_api", runs=1, stdout=io.StringIO())
