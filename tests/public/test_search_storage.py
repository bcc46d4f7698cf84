"""Where PostgreSQL keeps a search row's columns (``pages`` migration 0014): what a search
reads row by row in the row, uncompressed while it fits and lz4 when not; the pairs, which
only their index reads, compressed and out of the row first."""

from __future__ import annotations

import importlib
import random
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from pages.models import PostSearch
from pages.search import SearchFilters, search_posts

from .conftest import live

pytestmark = pytest.mark.postgres

WORDS = ("đoàn kết toàn dân xây dựng đời sống văn hóa khu dân cư mặt trận tổ quốc việt nam hội nghị "
         "nhân dân phường xã huyện tỉnh thành phố cán bộ đảng viên an sinh xã hội người nghèo quà tết "
         "học sinh giúp đỡ vận động quỹ vì người nghèo bầu cử đại biểu giám sát phản biện")
SYLLABLES = WORDS.split()


def _body(chars: int, seed: int) -> str:
    """Words in no fixed order, as a post holds them: pairs enough to make a row too long."""
    rnd, words = random.Random(seed), []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rnd.choice(SYLLABLES))
    return "<p>" + " ".join(words) + "</p>"


def _compression(post) -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(title_key), pg_column_compression(body_key),"
            " pg_column_compression(document), pg_column_compression(pair_key)"
            " FROM pages_postsearch WHERE post_id = %s", [post.pk])
        return dict(zip(("title", "body", "document", "pairs"), cursor.fetchone(), strict=True))


def test_a_post_of_common_length_keeps_its_keys_whole_in_the_row(pages, postgres_only):
    post = live(pages["hanoi"], "Ngày hội Đại đoàn kết toàn dân tộc", summary="", body=_body(800, 1))
    entry = PostSearch.objects.get(post=post)
    assert len(entry.body_key) > 700 and len(entry.pair_key) > 1000  # too long a row for PostgreSQL
    # The pairs compressed (and so out of the row first); the keys read by a search untouched.
    assert _compression(post) == {"title": None, "body": None, "document": None, "pairs": "lz4"}
    assert [p.pk for p in search_posts("dai doan ket toan dan toc", SearchFilters())] == [post.pk]


def test_a_long_post_has_its_keys_compressed_by_lz4(pages, postgres_only):
    post = live(pages["hanoi"], "Hội nghị", summary="", body=_body(6000, 2))
    found = _compression(post)
    assert (found["body"], found["pairs"]) == ("lz4", "lz4")
    assert [p.pk for p in search_posts("hoi nghi", SearchFilters())] == [post.pk]


@pytest.mark.django_db(transaction=True)
def test_the_migration_rewrites_rows_stored_the_old_way(pages, postgres_only):
    """Rows written before 0014 (the defaults: pglz, the tsvector the first out of the row) take
    the new places when the migration rewrites them, and are found as before."""
    migration = importlib.import_module("pages.migrations.0014_postsearch_storage")
    editor = SimpleNamespace(connection=connection)
    migration.back_to_defaults(apps, editor)
    try:
        post = live(pages["hanoi"], "Ngày hội Đại đoàn kết", summary="", body=_body(800, 3))
        assert _compression(post)["body"] == "pglz"
        migration.keep_read_columns_in_row(apps, editor)
        assert _compression(post)["body"] == "pglz"  # only rows written from now on
        migration.rewrite_rows(apps, editor)
        assert _compression(post) == {"title": None, "body": None, "document": None, "pairs": "lz4"}
        assert [p.pk for p in search_posts("dai doan ket", SearchFilters())] == [post.pk]
    finally:
        migration.keep_read_columns_in_row(apps, editor)
