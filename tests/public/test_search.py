"""Search: with or without tone marks, title above body, filters, snippets, units by name."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pages import search, search_rank
from pages.models import PostSearch
from pages.search import SearchFilters, search_posts, search_units, snippet

from .conftest import live, make_post, publish_post

pytestmark = pytest.mark.django_db


def titles(posts):
    return [p.live_revision.title for p in posts]


@pytest.mark.parametrize("query", ["ha noi", "Hà Nội", "HA NOI", "hà nội"])
def test_finds_ha_noi_with_or_without_marks(posts, query):
    assert "Hà Nội phát động Ngày hội Đại đoàn kết" in titles(search_posts(query, SearchFilters()))


def test_dong_da_finds_dong_da_and_prefix(posts):
    found = titles(search_posts("dong da", SearchFilters()))
    assert "Quận Đống Đa tổng kết cuộc vận động" in found
    assert "Quận Đống Đa tổng kết cuộc vận động" in titles(search_posts("đống đ", SearchFilters()))


def test_title_match_ranks_above_body_match(posts):
    # "Đống Đa" is in the Văn Miếu post's body only, and in the Đống Đa post's title.
    found = titles(search_posts("dong da", SearchFilters()))
    assert found.index("Quận Đống Đa tổng kết cuộc vận động") < found.index("Phường Văn Miếu trao quà cho hộ nghèo")


def test_filters_subtree_topic_and_dates(posts, tree, topic):
    assert titles(search_posts("dong da", SearchFilters(unit=tree.badinh))) == []
    assert titles(search_posts("dong da", SearchFilters(topic_id=topic.pk))) == ["Phường Văn Miếu trao quà cho hộ nghèo"]
    # The day the newest post was published, not the day the test runs: a minute after midnight
    # (Vietnam's) they differ.
    today = timezone.localdate(posts["vanmieu"].published_at)
    recent = search_posts("dong da", SearchFilters(date_from=today))
    assert titles(recent) == ["Phường Văn Miếu trao quà cho hộ nghèo"]
    older = search_posts("dong da", SearchFilters(date_to=today - datetime.timedelta(days=1)))
    # (the last word matches as a prefix, so "da" also finds "Đại" in the Hà Nội post)
    assert "Quận Đống Đa tổng kết cuộc vận động" in titles(older)
    assert "Phường Văn Miếu trao quà cho hộ nghèo" not in titles(older)


@pytest.mark.postgres
def test_behind_a_pooler_a_search_in_a_unit_still_runs_by_its_generic_plan(posts, tree, settings, postgres_only):
    """With statements not kept prepared (``DB_PREPARED_STATEMENTS=0``) a search within a unit
    is prepared for itself and deallocated (the plan made with a unit's ids checked the pairs of
    every post of a province one by one: 74 ms); a country-wide one runs plain. Both find what
    they find with statements kept prepared."""
    from django.test.utils import CaptureQueriesContext

    in_unit, country, queries = SearchFilters(unit=tree.dongda), SearchFilters(), ("dong da", "ha noi")
    expected_in_unit = {q: titles(search_posts(q, in_unit)) for q in queries}
    expected_country = {q: titles(search_posts(q, country)) for q in queries}
    assert expected_in_unit != expected_country and expected_in_unit["dong da"]
    settings.VIETFRONT_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as unit_queries:
        assert {q: titles(search_posts(q, in_unit)) for q in queries} == expected_in_unit
    with CaptureQueriesContext(connection) as country_queries:
        assert {q: titles(search_posts(q, country)) for q in queries} == expected_country
    generic = "SET LOCAL plan_cache_mode = force_generic_plan; PREPARE vf_once_"
    assert sum(q["sql"].startswith(generic) for q in unit_queries) == 2  # one statement a search
    assert not any("PREPARE" in q["sql"] for q in country_queries)


def test_drafts_and_working_copies_are_not_searchable(posts):
    assert search_posts("bi mat", SearchFilters()) == []
    post = posts["phucxa"]
    post.title = "Tiêu đề nháp khác hẳn"
    post.save()
    assert search_posts("khac han", SearchFilters()) == []
    assert titles(search_posts("phuc xa", SearchFilters())) == ["Phúc Xá ra mắt trang cộng đồng"]


def test_snippet_marks_matches_and_escapes():
    html = snippet("Ủy ban <b>Hà Nội</b> và Đống Đa", ["ha", "noi", "dong"])
    assert "<mark>Hà</mark>" in html and "<mark>Nội</mark>" in html and "<mark>Đống</mark>" in html
    assert "&lt;b&gt;" in html


def test_search_page_paginates_and_marks(client, pages):
    for i in range(22):
        live(pages["hanoi"], f"Tin Hà Nội số {i:02d}", days_ago=i)
    html = client.get(reverse("public:search"), {"q": "ha noi"}).content.decode()
    assert "<mark>Hà</mark> <mark>Nội</mark>" in html and "trang=2" in html
    html2 = client.get(reverse("public:search"), {"q": "ha noi", "trang": 2}).content.decode()
    assert "số 21" in html2


def test_units_searchable_by_name_without_marks(tree):
    names = [u["name"] for u in search_units("van mieu")]
    assert names == ["Phường Văn Miếu Quốc Tử Giám"]
    assert [u["name"] for u in search_units("đong đa")] == ["Quận Đống Đa"]


@pytest.mark.postgres
def test_postgres_uses_full_text_index(posts, postgres_only):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'postsearch_document_gin'")
        assert "gin" in cursor.fetchone()[0].lower()
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'unaccent'")
        assert cursor.fetchone()


def test_the_phrase_index_is_on_postgres_and_sqlites_fts_is_kept_in_step(posts, pages):
    """PostgreSQL has the pairs index (migration 0012); SQLite, which copied the table to add
    the pairs column, has its FTS5 triggers again: a post indexed now is found."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'postsearch_pairs_gin'")
            assert "array_to_tsvector(string_to_array(pair_key" in cursor.fetchone()[0]
        elif search.fts5_available():
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'pages_postsearch'")
            assert {row[0] for row in cursor.fetchall()} == {
                "pages_postsearch_fts_ai", "pages_postsearch_fts_ad", "pages_postsearch_fts_au"}
    post = live(pages["hanoi"], "Tin ven hồ Gươm", summary="", body="<p>Sáng nay.</p>")
    # Each field's neighbours, not the title's last syllable with the body's first.
    week = search_rank.week_token(post.published_at)
    assert PostSearch.objects.get(post=post).pair_key == f"ho_guom sang_nay tin_ven ven_ho {week}"
    assert titles(search_posts("ho guom", SearchFilters())) == ["Tin ven hồ Gươm"]


def test_only_the_newest_candidates_are_ranked(posts, pages, monkeypatch):

    for i in range(5):
        live(pages["hanoi"], f"Tin Hà Nội {i}", days_ago=i)
    monkeypatch.setattr(search, "CANDIDATES", 3)
    found = search_posts("ha noi", SearchFilters(), limit=10)
    assert len(found) == 3
    assert search_posts("ha noi", SearchFilters(), offset=3) == []


@pytest.mark.parametrize("sample", [1, 100])
@pytest.mark.parametrize("window", [1, 2, 1000])
def test_window_and_gin_paths_agree(posts, pages, tree, topic, monkeypatch, window, sample):
    """PostgreSQL finds candidates in the newest posts' window or, when too few (or too few
    in its newest ``SAMPLE`` posts to expect enough), by the GIN index; SQLite has one path.
    Every path gives the same answer."""

    for i in range(6):
        live(pages["dongda" if i % 2 else "vanmieu"], f"Tin Đống Đa {i}", days_ago=i, topic=topic if i % 3 else None)
    monkeypatch.setattr(search, "SAMPLE", sample)
    monkeypatch.setattr(search, "WINDOW", window)
    monkeypatch.setattr(search, "CANDIDATES", 4)
    for filters in (SearchFilters(), SearchFilters(unit=tree.dongda), SearchFilters(unit=tree.hanoi, topic_id=topic.pk)):
        got = titles(search_posts("dong da", filters, limit=10))
        monkeypatch.setattr(search, "WINDOW", 1000)
        expected = titles(search_posts("dong da", filters, limit=10))
        monkeypatch.setattr(search, "WINDOW", window)
        assert got == expected and len(got) <= 4


def test_a_rare_word_in_a_district_is_found_when_the_window_is_skipped(pages, tree, monkeypatch):
    """The window holds the district's every post, but its newest posts hold too few matches
    to expect enough: the window is not walked, and the GIN index must still answer (not the
    empty walk, taken for the district's every match)."""
    monkeypatch.setattr(search, "CANDIDATES", 4)
    monkeypatch.setattr(search, "SAMPLE", 2)
    found = live(pages["vanmieu"], "Hội nghị tại Văn Miếu", days_ago=5)
    for i in range(3):
        live(pages["dongda"], f"Tin tổng kết {i}", days_ago=i)
    assert search_posts("van mieu", SearchFilters(unit=tree.dongda), limit=10)[0] == found
    assert search_posts("van mieu", SearchFilters(), limit=10)[0] == found


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"don-vi": "ha-noi/khong-co"}, "Không có đơn vị có đường dẫn “ha-noi/khong-co”."),
        # No path holds a NUL byte (PostgreSQL refuses one in a query: this was a 500).
        ({"don-vi": "ha-noi/khong-co\x00"}, "Không có đơn vị có đường dẫn “ha-noi/khong-co\x00”."),
        ({"tu": "31/12/2024"}, "Từ ngày không phải là ngày hợp lệ"),
        ({"den": "2024-13-45"}, "Đến ngày không phải là ngày hợp lệ"),
        # The last and first days a date can hold: their bounds in local time would overflow.
        ({"den": "9999-12-31"}, "Đến ngày không phải là ngày hợp lệ"),
        ({"tu": "0001-01-01"}, "Từ ngày không phải là ngày hợp lệ"),
        ({"tu": "2025-02-01", "den": "2025-01-01"}, "“Từ ngày” phải trước hoặc bằng “Đến ngày”."),
        ({"chu-de": "khong-co-chu-de"}, "Không có chủ đề “khong-co-chu-de”."),
    ],
)
def test_a_filter_that_cannot_be_honoured_is_reported_not_dropped(client, posts, params, message):
    """An unknown unit or a bad date is said plainly and kept in the form; the search does not
    quietly widen to the whole country (the Đống Đa post would then be listed)."""
    response = client.get(reverse("public:search"), {"q": "dong da", **params})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and 'role="alert"' in html
    assert "tổng kết cuộc vận" not in html
    if "don-vi" in params:
        assert f'name="don-vi" value="{params["don-vi"]}"' in html


def test_a_unit_typed_with_a_stray_byte_is_found_by_its_name(client, posts, tree):
    """"ha-noi" and a NUL byte is no path (no query is made with it), but names Hà Nội: the
    search is narrowed to it, and the form shows its path."""
    response = client.get(reverse("public:search"), {"q": "dong da", "don-vi": "ha-noi\x00"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' not in html
    assert f'name="don-vi" value="{tree.hanoi.path}"' in html
    assert "Chỉ tìm trong Thành phố Hà Nội" in html


def test_search_within_a_known_unit_keeps_its_path_and_narrows(client, posts, tree):
    html = client.get(reverse("public:search"), {"q": "dong da", "don-vi": tree.badinh.path + "/"}).content.decode()
    assert 'role="alert"' not in html
    assert f'name="don-vi" value="{tree.badinh.path}"' in html
    assert "tổng kết cuộc vận" not in html
    html = client.get(reverse("public:search"), {"q": "dong da", "don-vi": tree.dongda.path}).content.decode()
    assert "tổng kết cuộc vận" in html


@pytest.mark.parametrize("page", ["abc", "0", "-3", "", "99999999999999999999"])
def test_a_bad_page_number_is_not_an_error(client, posts, page):
    response = client.get(reverse("public:search"), {"q": "dong da", "trang": page})
    assert response.status_code == 200


UNIT_QUERIES = ["van mieu", "đong đa", "dong d", "ninh", "ha", "x", "phuong", "quan dong", "ba dinh", "khong co"]


def test_units_from_memory_are_the_tables_rows(tree, monkeypatch, django_assert_num_queries):
    """The in-memory index answers what the query on the table answers (the path taken when the
    cache is unreachable and there is no tree generation to key the index by)."""
    from pages.search_rank import query_terms
    from pages.unit_index import UnitIndex

    index = UnitIndex.build(search._unit_rows())
    for q in UNIT_QUERIES:  # the candidates before ranking: the same rows in the same order
        assert index.matching(query_terms(q), search.UNIT_CANDIDATES) == search._unit_rows(query_terms(q)), q
    search_units("ha")  # builds the index for this tree
    with django_assert_num_queries(0):  # answered from memory, not from the table
        from_memory = {q: search_units(q) for q in UNIT_QUERIES}
    monkeypatch.setattr(search, "generations", lambda path: (0, 0))
    assert {q: search_units(q) for q in UNIT_QUERIES} == from_memory
    assert from_memory["đong đa"][0]["name"] == "Quận Đống Đa" and from_memory["khong co"] == []


def test_units_from_memory_follow_renames_and_dissolutions(tree, django_capture_on_commit_callbacks):
    from orgunits.services import unit_dissolve, unit_rename

    assert [u["name"] for u in search_units("van mieu")] == ["Phường Văn Miếu Quốc Tử Giám"]
    with django_capture_on_commit_callbacks(execute=True):
        unit_rename(unit=tree.vanmieu, name="Phường Văn Miếu")
    assert [u["name"] for u in search_units("van mieu")] == ["Phường Văn Miếu"]
    assert search_units("quoc tu giam") == []
    with django_capture_on_commit_callbacks(execute=True):
        unit_dissolve(unit=tree.phucxa, on=datetime.date(2025, 7, 1))
    assert search_units("phuc xa") == []


@pytest.mark.parametrize(("query", "phrase", "apart"), [
    ("đoàn kết", "đoàn kết", "Kết nối đoàn viên"),
    ("dai doan ket", "đại đoàn kết", "Đại đoàn viên chúc mừng, đoàn kết và kết nối"),
    ("dai doan k", "đại đoàn kết", "Đại đoàn viên chúc mừng, đoàn kết và kết nối"),
])
def test_an_older_phrase_comes_before_newer_posts_holding_its_syllables_apart(pages, monkeypatch, query, phrase,
                                                                              apart):
    """More posts hold the syllables than are ranked, so the phrase is asked for on its own (on
    PostgreSQL through the pairs index): the older post with the phrase is first. A post with
    the syllables apart, even with each pair ("đại đoàn viên … đoàn kết"), is no phrase match."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "WINDOW", 2)
    monkeypatch.setattr(search, "PHRASE_WINDOW", 2)
    old = live(pages["hanoi"], f"Ngày hội {phrase} năm trước", days_ago=30)
    # Newer than the phrase and as many as are ranked: found by its pairs, they are dropped by
    # the phrase's positions before the newest are taken.
    decoys = [live(pages["dongda"], f"{apart} {i}", days_ago=20 - i) for i in range(3)]
    for i in range(4):
        live(pages["vanmieu"], f"Kết quả đại hội đoàn số {i}", days_ago=i)
    found = search_posts(query, SearchFilters(), limit=10)
    assert found[0] == old
    assert len(found) == 3  # one phrase, then the newest posts with the syllables apart
    ranks = search.ranked_ids(query, SearchFilters())[1]
    assert ranks[old.pk].tier == (search_rank.PHRASE if query.endswith(("ket", "kết")) else search_rank.MOST)
    assert all(ranks[d.pk] > ranks[old.pk] for d in decoys if d.pk in ranks)
    in_province = search_posts(query, SearchFilters(unit=old.unit.parent or old.unit), limit=10)
    assert in_province[0] == old


@pytest.mark.parametrize("query", ["mat tran", "uy ban mat tran"])
def test_older_whole_phrases_come_before_newer_ones_whose_last_syllable_only_begins_a_word(pages, monkeypatch,
                                                                                        query):
    """"mặt tranh" holds "mat tran" as a phrase begun, and the newest posts hold it: the
    phrase with "tran" whole is asked first, so the older "Mặt trận" posts are not crowded
    out of the candidates by posts that rank below them."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "WINDOW", 2)
    monkeypatch.setattr(search, "PHRASE_WINDOW", 2)
    whole = [live(pages["hanoi"], f"Ủy ban Mặt trận họp phiên {i}", days_ago=30 + i) for i in range(3)]
    for i in range(3):
        live(pages["dongda"], f"Ủy ban trưng bày mặt tranh cổ động {i}", days_ago=i)
    for filters in (SearchFilters(), SearchFilters(unit=pages["hanoi"].unit)):
        found = search_posts(query, filters, limit=10)
        assert found == whole, (filters, titles(found))


def test_phrases_only_begun_do_not_stand_in_for_whole_ones(pages, monkeypatch):
    """One whole "mặt trận", and more posts beginning it ("mặt tranh") than are ranked: the
    phrases found fill the candidates, but not with whole ones, so the newest posts holding
    the syllables apart are still asked for, and rank between the two."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "WINDOW", 2)
    monkeypatch.setattr(search, "PHRASE_WINDOW", 2)
    whole = live(pages["hanoi"], "Ủy ban Mặt trận họp phiên thường kỳ", days_ago=30)
    begun = [live(pages["dongda"], f"Ủy ban trưng bày mặt tranh cổ động {i}", days_ago=3 - i) for i in range(3)]
    apart = live(pages["hanoi"], "Trận đấu trên mặt sân mới", days_ago=0)
    for filters in (SearchFilters(), SearchFilters(unit=pages["hanoi"].unit)):
        ids, ranks, _capped = search.ranked_ids("mat tran", filters)
        assert ids == [whole.pk, apart.pk, begun[-1].pk], filters
        assert [ranks[pk].tier for pk in ids] == [search_rank.PHRASE, search_rank.ALL, search_rank.PHRASE_PREFIX]


@pytest.mark.parametrize("query", ["đoàn kết", "dai doan ket", "dai doan k"])
def test_a_phrase_scheduled_for_later_is_not_found_before_its_time(pages, monkeypatch, query):
    """The phrase paths (window, pairs index, the rare phrase's) check the publication time
    too: a post approved for tomorrow holding the phrase is no result today."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "WINDOW", 2)
    monkeypatch.setattr(search, "PHRASE_WINDOW", 2)
    old = live(pages["hanoi"], "Ngày hội đại đoàn kết năm trước", days_ago=30)
    later = live(pages["dongda"], "Ngày hội đại đoàn kết sắp tới", days_ago=-1)
    assert later.published_at > timezone.now()
    for i in range(4):
        live(pages["vanmieu"], f"Kết quả đại hội đoàn số {i}", days_ago=i)
    for filters in (SearchFilters(), SearchFilters(unit=old.unit)):
        found = search_posts(query, filters, limit=10)
        assert found[0] == old, filters
        assert later not in found, filters
        ids, _ranks, _capped = search.ranked_ids(query, filters)
        assert later.pk not in ids, filters  # not counted either: the page's own check hides it


@pytest.mark.parametrize("scoped", [False, True])
def test_whole_phrases_that_fill_the_candidates_are_all_that_is_asked(pages, monkeypatch, django_assert_num_queries,
                                                                      scoped):
    """More whole phrases than are ranked: they are the candidates, newest first, before newer
    posts holding the syllables apart, and counted as capped. On
    PostgreSQL the phrase is asked first, and every syllable is not asked at all (one
    statement); with more ranked than there are whole phrases, the syllables apart are asked and ranked after them."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "WINDOW", 2)
    monkeypatch.setattr(search, "PHRASE_WINDOW", 2)
    # Newest first, created oldest first (SQLite's FTS5 path takes the newest by id).
    phrases = [live(pages["hanoi"], f"Ngày hội đoàn kết khu dân cư {i}", days_ago=10 + i) for i in reversed(range(4))][::-1]
    apart = [live(pages["dongda"], f"Đoàn viên tổng kết năm {i}", days_ago=i) for i in reversed(range(3))][::-1]
    filters = SearchFilters(unit=pages["hanoi"].unit) if scoped else SearchFilters()
    # SQLite: every syllable, then the phrase (FTS5: with its last syllable whole, enough alone).
    statements = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(statements):
        ids, ranks, capped = search.ranked_ids("doan ket", filters)
    assert ids == [p.pk for p in phrases[:3]]
    assert capped
    assert {r.tier for r in ranks.values()} == {search_rank.PHRASE}
    monkeypatch.setattr(search, "CANDIDATES", 5)
    ids, ranks, capped = search.ranked_ids("doan ket", filters)
    # Four whole phrases, then the newest with the syllables apart.
    assert ids == [*(p.pk for p in phrases), apart[0].pk]
    assert ranks[apart[0].pk].tier == search_rank.ALL
    assert capped  # seven posts hold the syllables, five are ranked


def test_the_pairs_backfill_cleans_old_keys_and_fills_every_row(pages):
    """Migration 0012's backfill, on rows as an early backfill left them (punctuation in the
    keys) and as ``index_key`` writes them: both get their pairs, the first clean keys too."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    clean = live(pages["hanoi"], "Ngày hội Đại đoàn kết", summary="", body="<p>Khu dân cư.</p>")
    old = live(pages["dongda"], "Tin cũ", summary="", body="<p>Bài cũ.</p>")
    PostSearch.objects.filter(post=old).update(title_key="tin cu, dong da!", body_key="bai cu.", pair_key="")
    PostSearch.objects.filter(post=clean).update(pair_key="")
    migration = importlib.import_module("pages.migrations.0012_postsearch_pair_key")
    migration.fill_pairs(apps, SimpleNamespace(connection=connection))
    rows = {r.post_id: r for r in PostSearch.objects.all()}
    assert (rows[old.pk].title_key, rows[old.pk].body_key) == ("tin cu dong da", "bai cu")
    assert rows[old.pk].pair_key == "bai_cu cu_dong dong_da tin_cu"
    assert rows[clean.pk].title_key == "ngay hoi dai doan ket"
    assert rows[clean.pk].pair_key == "dai_doan dan_cu doan_ket hoi_dai khu_dan ngay_hoi"
    assert titles(search_posts("tin cu dong da", SearchFilters())) == ["Tin cũ"]


def test_the_week_token_follows_the_publication_time_and_the_backfill_writes_it_as_python_does(pages):
    """A row's ``pair_key`` ends with the week of its publication (``week_token``), also when
    that time moves; migration 0013 writes the same token in SQL for the rows already there,
    on either database (weeks since the epoch: a Thursday, 00:00 UTC)."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    post = live(pages["hanoi"], "Ngày hội Đại đoàn kết", summary="", body="")
    entry = PostSearch.objects.get(post=post)
    assert entry.pair_key.split()[-1] == search_rank.week_token(post.published_at)
    # A Wednesday evening and the Thursday that begins the next week, in UTC.
    wednesday = datetime.datetime(2026, 11, 25, 23, 59, 59, 999999, tzinfo=datetime.UTC)
    assert search_rank.week_token(wednesday) == "w2968"
    assert search_rank.week_token(wednesday + datetime.timedelta(microseconds=1)) == "w2969"
    post.published_at = wednesday
    post.save(update_fields=["published_at"])
    assert PostSearch.objects.get(post=post).pair_key == "dai_doan doan_ket hoi_dai ngay_hoi w2968"
    others = [live(pages["dongda"], f"Tin số {i}", summary="", body="", days_ago=400 * i) for i in range(3)]
    expected = dict(PostSearch.objects.values_list("post_id", "pair_key"))
    PostSearch.objects.update(pair_key="")
    PostSearch.objects.filter(post=post).update(pair_key="dai_doan doan_ket hoi_dai ngay_hoi")
    for other in others:
        PostSearch.objects.filter(post=other).update(pair_key=f"so_{other.pk}")
        expected[other.pk] = f"so_{other.pk} {search_rank.week_token(other.published_at)}"
    migration = importlib.import_module("pages.migrations.0013_postsearch_week_token")
    migration.add_week_tokens(apps, SimpleNamespace(connection=connection))
    assert dict(PostSearch.objects.values_list("post_id", "pair_key")) == expected
    if connection.vendor == "postgresql":
        migration.drop_week_tokens(apps, SimpleNamespace(connection=connection))
        assert PostSearch.objects.get(post=post).pair_key == "dai_doan doan_ket hoi_dai ngay_hoi"


@pytest.mark.parametrize("weeks", [1, 3, 26])
@pytest.mark.parametrize("query", ["đoàn kết", "dai doan ket"])
def test_a_whole_phrase_walked_a_week_at_a_time_finds_the_newest(pages, monkeypatch, weeks, query):
    """Country-wide, a whole phrase whose newest posts hold it often enough is looked for a week
    at a time, newest first, through the newest ``WEEKS``: the newest matches across weeks,
    in order, and past those weeks the whole index, with the same answer; a post scheduled
    for later this week is not among them, nor one taken off the site."""
    monkeypatch.setattr(search, "CANDIDATES", 4)
    monkeypatch.setattr(search, "SAMPLE", 3)
    monkeypatch.setattr(search, "WEEKS", weeks)
    # Three in each of the newest four weeks (the present one begun), newest first, whatever
    # the day: its sample is the newest weeks. Created oldest first (SQLite's FTS5 path takes
    # the newest by id).
    now = timezone.now()
    began = search_rank.week_number(now) * search_rank.WEEK

    def moment(week: int, k: int) -> datetime.datetime:
        if week == 0:
            return now - datetime.timedelta(seconds=(now.timestamp() - began) * (k + 1) / 4)
        return datetime.datetime.fromtimestamp(began - search_rank.WEEK * week + search_rank.WEEK * (3 - k) / 4, datetime.UTC)

    phrases = [publish_post(make_post(pages["hanoi" if i % 2 else "dongda"], f"Ngày hội đại đoàn kết số {i}"),
                            at=moment(i // 3, i % 3)) for i in reversed(range(12))][::-1]
    # Later this week (halfway to its end): in the week walked first, and not yet public.
    week_ends = (search_rank.week_number(now) + 1) * search_rank.WEEK
    later = now + datetime.timedelta(seconds=(week_ends - now.timestamp()) / 2)
    scheduled = publish_post(make_post(pages["vanmieu"], "Ngày hội đại đoàn kết sắp tới"), at=later)
    assert PostSearch.objects.get(post=scheduled).pair_key.endswith(search_rank.week_token(now))
    withdrawn = phrases[1]
    Post = type(withdrawn)
    Post.objects.filter(pk=withdrawn.pk).update(live_revision=None)  # the index row left behind
    statements = []
    if connection.vendor == "postgresql":
        from pages import search_postgres

        fetch = search_postgres._fetch
        monkeypatch.setattr(search_postgres, "_fetch", lambda sql, params, filters: statements.append((sql, params)) or fetch(sql, params, filters))
    ids, ranks, capped = search.ranked_ids(query, SearchFilters())
    assert ids == [p.pk for p in phrases if p != withdrawn][:4]
    assert capped
    assert {r.tier for r in ranks.values()} == {search_rank.PHRASE}
    if statements:
        # The weeks were walked (the answer would be the same from the whole index alone).
        [(sql, params)] = statements
        assert _walked(sql, params) >= 1


def test_a_walk_of_the_weeks_checks_a_longer_phrase_on_its_keys(pages, monkeypatch):
    """The pairs of "đại đoàn kết" in the newest posts, but apart ("đại đoàn viên", "đoàn kết"):
    the walk finds them by their pairs and must not count them as the phrase; the older posts
    holding it whole come first, all of phrase rank."""
    monkeypatch.setattr(search, "CANDIDATES", 4)
    monkeypatch.setattr(search, "SAMPLE", 3)
    whole = [live(pages["dongda"], f"Ngày hội đại đoàn kết số {i}", days_ago=3 + i) for i in reversed(range(4))][::-1]
    apart = [live(pages["hanoi"], f"Đại đoàn viên và tinh thần đoàn kết số {i}", days_ago=i) for i in reversed(range(3))]
    assert all("dai_doan" in p and "doan_ket" in p for p in PostSearch.objects.filter(
        post__in=apart).values_list("pair_key", flat=True))
    statements = []
    if connection.vendor == "postgresql":
        from pages import search_postgres

        fetch = search_postgres._fetch
        monkeypatch.setattr(search_postgres, "_fetch", lambda sql, params, filters: statements.append((sql, params)) or fetch(sql, params, filters))
    ids, ranks, capped = search.ranked_ids("đại đoàn kết", SearchFilters())
    assert ids == [p.pk for p in whole]
    assert capped
    assert {r.tier for r in ranks.values()} == {search_rank.PHRASE}
    if statements:
        # Through the walk, where the check is (the whole index checks them too).
        [(sql, params)] = statements
        assert _walked(sql, params) >= 1


def test_a_whole_phrase_rare_in_its_newest_weeks_is_not_walked(pages, monkeypatch, postgres_only):
    """One match in the newest two weeks, where the walk of three needs half of 6 × 2 / 3: the
    weeks are not walked (26 lookups in vain for a rare phrase), the whole index answers, and
    finds the old ones."""
    monkeypatch.setattr(search, "CANDIDATES", 6)
    monkeypatch.setattr(search, "WEEKS", 3)
    from pages import search_postgres

    monkeypatch.setattr(search_postgres, "SAMPLE_WEEKS", 2)
    phrases = [live(pages["dongda"], f"Ngày hội đại đoàn kết số {i}", days_ago=days)
               for i, days in enumerate([300, 250, 200, 150, 100, 50, 1])][::-1]
    statements = []
    fetch = search_postgres._fetch
    monkeypatch.setattr(search_postgres, "_fetch", lambda sql, params, filters: statements.append((sql, params)) or fetch(sql, params, filters))
    ids, _ranks, capped = search.ranked_ids("đoàn kết", SearchFilters())
    assert ids == [p.pk for p in phrases[:6]]
    assert capped
    [(sql, params)] = statements
    assert _walked(sql, params) == 0


@pytest.mark.parametrize("query", ["đại đoàn kết", "đoàn kết", "văn miếu"])
def test_a_search_in_a_unit_reads_the_subtrees_posts_once(pages, tree, monkeypatch, postgres_only, query):
    """Every window and sample of a search within a unit is cut from one read of the subtree's
    newest posts (``scope_posts``): each read takes every unit's newest from the per-unit
    index, ~1.6 ms for a province whatever the number wanted, and a search walked two or three."""
    from pages import search_postgres

    for i in range(8):
        live(pages["vanmieu" if i % 2 else "dongda"], f"Đại hội đoàn kết {i}", summary="", body="<p>Văn Miếu, đại đoàn kết.</p>",
             days_ago=i)
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "WINDOW", 4)
    monkeypatch.setattr(search, "PHRASE_WINDOW", 5)
    monkeypatch.setattr(search, "SAMPLE", 2)
    statements = []
    fetch = search_postgres._fetch
    monkeypatch.setattr(search_postgres, "_fetch", lambda sql, params, filters: statements.append((sql, params)) or fetch(sql, params, filters))
    assert search.ranked_ids(query, SearchFilters(unit=tree.hanoi))[0]
    for sql, params in statements:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            nodes = list(_plan_nodes(cursor.fetchone()[0][0]["Plan"]))
        reads = [n for n in nodes if n.get("Index Name") == "post_live_unit_recent" and n["Actual Loops"] > 0]
        assert len(reads) == 1, f"the subtree's posts read {len(reads)} times"


def _walked(sql: str, params: list) -> int:
    """The rows the walk of the weeks gave (``search_postgres``'s ``probe`` of a walk: none
    when its sample sent the search to the whole index)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    nodes = list(_plan_nodes(plan[0]["Plan"]))
    assert any(node.get("Subplan Name") == "CTE first_weeks" for node in nodes), "no walk in the statement"
    return sum(node["Actual Rows"] * node["Actual Loops"] for node in nodes if node.get("Subplan Name") == "CTE probe")


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)
