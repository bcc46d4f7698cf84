"""Precompiled querysets (``vietfront.precompiled``) and the prepared statements under them
(``vietfront.prepared_statements``): the same rows as the plain queryset, values rebound on
every call, what cannot be rebound refused, and on PostgreSQL one prepared statement per
connection that a rollback, a refusal or a new connection does not break."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgunits.models import OrgUnit
from pages.models import Post
from pages.public import selectors
from vietfront import precompiled
from vietfront.precompiled import Precompiled
from vietfront.prepared_statements import Statement

from .conftest import live

pytestmark = pytest.mark.django_db


def _snapshot(obj, *related: str) -> tuple:
    """A model instance as data: its loaded fields and the named related objects' fields."""
    def fields(o):
        return None if o is None else tuple(sorted((k, v) for k, v in vars(o).items() if not k.startswith("_")))
    out = [fields(obj)]
    for path in related:
        target = obj
        for name in path.split("."):
            target = getattr(target, name, None) if target is not None else None
        out.append(fields(target))
    return tuple(out)


@pytest.fixture
def published(pages, topic):
    return [live(pages[name], f"Tin {i} của {name}", days_ago=i % 4, topic=topic if i % 2 else None)
            for i, name in enumerate(["vanmieu", "dongda", "hanoi", "phucxa", "badinh", "central"] * 2)]


@pytest.mark.parametrize("with_children", [True, False])
def test_unit_rows_are_the_plain_querysets_rows(tree, pages, with_children):
    for unit in (tree.central, tree.hanoi, tree.dongda, tree.vanmieu):
        prefixes = selectors.path_prefixes(unit.path)
        extra = {"unit_path": unit.path} if with_children else {}
        plain = list(selectors._unit_rows(prefixes=prefixes, **extra))
        compiled = selectors._UNIT_ROWS.list(prefixes=prefixes, **extra)
        assert [u.pk for u in compiled] == [u.pk for u in plain] != []
        related = ("page", "page.avatar", "page.cover", "successor")
        assert [_snapshot(u, *related) for u in compiled] == [_snapshot(u, *related) for u in plain]


def test_a_search_scopes_unit_is_the_plain_querysets(tree):
    from pages import views

    for unit in (tree.central, tree.hanoi, tree.dongda, tree.vanmieu):
        assert _snapshot(views._unit_at(unit.path)) == _snapshot(OrgUnit.objects.filter(path=unit.path).first())
    assert views._unit_at("ha-noi/khong-co") is None


def test_post_rows_are_the_plain_querysets_rows(tree, published):
    now = timezone.now()
    related = ("live_revision", "live_revision.topic", "live_revision.cover", "unit")
    for unit in (tree.central, tree.hanoi, tree.dongda, tree.vanmieu):
        shape = {"own_limit": 3, "spread_limit": 2}
        plain = list(selectors._own_and_spread_rows(unit_id=unit.pk, now=now, **shape))
        compiled = selectors._OWN_AND_SPREAD.list(shape, unit_id=unit.pk, now=now)
        assert [_snapshot(p, *related) for p in compiled] == [_snapshot(p, *related) for p in plain]
        assert [p.spread_direction for p in compiled] == [p.spread_direction for p in plain]
        for post in published:
            plain = list(selectors._live_post_rows(unit_id=post.unit_id, slug=post.slug, now=now, related=2))
            compiled = selectors._LIVE_POST.list({"related": 2}, unit_id=post.unit_id, slug=post.slug, now=now)
            assert [_snapshot(p, *related) for p in compiled] == [_snapshot(p, *related) for p in plain] != []


def test_each_call_binds_its_own_values(tree, published):
    """The SQL is compiled once; the values are not: the second unit gets its own rows, and a
    time before the posts were published finds none."""
    first = selectors._OWN_AND_SPREAD.list({"own_limit": 8, "spread_limit": 2}, unit_id=tree.hanoi.pk,
                                           now=timezone.now())
    second = selectors._OWN_AND_SPREAD.list({"own_limit": 8, "spread_limit": 2}, unit_id=tree.dongda.pk,
                                            now=timezone.now())
    assert {p.unit_id for p in first} == {tree.hanoi.pk}
    assert {p.unit_id for p in second} == {tree.dongda.pk}
    before = selectors._OWN_AND_SPREAD.list({"own_limit": 8, "spread_limit": 2}, unit_id=tree.hanoi.pk,
                                            now=timezone.now() - datetime.timedelta(days=30))
    assert before == []
    assert selectors.unit_context(tree.dongda.path).unit == tree.dongda
    assert selectors.unit_context(tree.vanmieu.path).unit == tree.vanmieu
    assert selectors.unit_context("khong-co/don-vi-nay") is None


def test_one_query_a_call_even_the_first_on_a_connection(tree, published):
    query = Precompiled(lambda *, unit_id: Post.objects.filter(unit_id=unit_id).order_by("id"))
    connection.__dict__["vf_prepared"] = set()
    for unit in (tree.hanoi, tree.dongda):
        with CaptureQueriesContext(connection) as captured:
            rows = query.list(unit_id=unit.pk)
        assert len(captured) == 1
        assert [p.pk for p in rows] == list(Post.objects.filter(unit=unit).order_by("id").values_list("pk", flat=True))


def test_a_value_that_would_change_the_sql_runs_the_plain_queryset(tree):
    query = Precompiled(lambda *, parent_id: OrgUnit.objects.filter(parent_id=parent_id).order_by("id"))
    roots = query.list(parent_id=None)  # IS NULL, not "= %s"
    assert [u.pk for u in roots] == [tree.central.pk]
    assert query._compiled == {}
    paths = Precompiled(lambda *, paths: OrgUnit.objects.filter(path__in=paths))
    assert paths.list(paths=[]) == []


def test_what_cannot_be_rebound_is_refused():
    derived = Precompiled(lambda *, name: OrgUnit.objects.filter(name__icontains=name))
    with pytest.raises(ValueError, match="computed from a value"):
        derived.list(name="Hà Nội")
    unused = Precompiled(lambda *, name: OrgUnit.objects.all())
    with pytest.raises(ValueError, match="do not reach the SQL"):
        unused.list(name="Hà Nội")
    flag = Precompiled(lambda *, active: OrgUnit.objects.filter(is_active=active))
    with pytest.raises(TypeError, match="boolean"):
        flag.list(active=True)
    naive = Precompiled(lambda *, at: OrgUnit.objects.filter(created_at__lte=at))
    with pytest.raises(TypeError, match="aware"):
        naive.list(at=datetime.datetime(2025, 1, 1))  # noqa: DTZ001 - the refusal under test


def test_shapes_past_the_limit_are_not_kept(tree, monkeypatch):
    monkeypatch.setattr(precompiled, "MAX_SHAPES", 2)
    query = Precompiled(lambda *, limit, parent_id: OrgUnit.objects.filter(parent_id=parent_id).order_by("id")[:limit])
    for limit in (1, 2, 3, 4):
        rows = query.list({"limit": limit}, parent_id=tree.hanoi.pk)
        assert [u.pk for u in rows] == list(OrgUnit.objects.filter(parent=tree.hanoi).order_by("id")
                                            .values_list("pk", flat=True)[:limit])
    assert len(query._compiled) == 2


# --- prepared statements (PostgreSQL) ------------------------------------------------------------


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_postgres_runs_a_prepared_statement(postgres_only, tree, published):
    query = Precompiled(lambda *, unit_id: Post.objects.filter(unit_id=unit_id).order_by("id"))
    with CaptureQueriesContext(connection) as captured:
        rows = query.list(unit_id=tree.hanoi.pk)
    name = next(iter(query._compiled.values())).statement.name
    assert captured[0]["sql"].startswith('/* SELECT "pages_post"."id"')  # the SQL, for whoever reads the log
    assert f"*/ EXECUTE {name}(" in captured[0]["sql"]
    assert name in _prepared_names()
    assert {p.unit_id for p in rows} == {tree.hanoi.pk}
    assert {p.unit_id for p in query.list(unit_id=tree.dongda.pk)} == {tree.dongda.pk}


def test_prepared_statements_can_be_turned_off(postgres_only, settings, tree, published):
    settings.VIETFRONT_PREPARED_STATEMENTS = False
    query = Precompiled(lambda *, unit_id: Post.objects.filter(unit_id=unit_id).order_by("id"))
    with CaptureQueriesContext(connection) as captured:
        query.list(unit_id=tree.hanoi.pk)
    assert captured[0]["sql"].startswith("SELECT ")
    assert next(iter(query._compiled.values())).statement.name not in _prepared_names()


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_behind_a_pooler_a_statement_can_still_run_by_its_generic_plan(postgres_only, settings):
    """``fetchall_generic`` with statements off: prepared under a name of its own, run by the
    generic plan and deallocated, in one transaction; the session's plan mode left as it was."""
    settings.VIETFRONT_PREPARED_STATEMENTS = False
    statement = Statement("SELECT %s::int + 1", 1)
    mode = _plan_cache_mode()
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        assert statement.fetchall_generic(cursor, [41]) == [(42,)]
    sql = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert sql[0].startswith("SET LOCAL plan_cache_mode = force_generic_plan; PREPARE vf_once_")
    name = sql[0].split("PREPARE ")[1].split()[0]
    assert sql[1:] == [f"EXECUTE {name}(41)", f"DEALLOCATE {name}; SET LOCAL plan_cache_mode = DEFAULT"]
    assert not {n for n in _prepared_names() if n.startswith("vf_once_")}
    assert _plan_cache_mode() == mode


def test_behind_a_pooler_a_failed_run_does_not_stop_the_next(postgres_only, settings):
    """An error between PREPARE and DEALLOCATE leaves the statement on the server connection;
    the next run's own name cannot collide with it."""
    settings.VIETFRONT_PREPARED_STATEMENTS = False
    statement = Statement("SELECT 10 / %s::int", 1)
    with connection.cursor() as cursor:
        with pytest.raises(Exception, match="division by zero"):
            statement.fetchall_generic(cursor, [0])
        assert statement.fetchall_generic(cursor, [5]) == [(2,)]
        cursor.execute("SELECT 1")  # the surrounding transaction still usable
        assert cursor.fetchone() == (1,)


def test_with_statements_kept_prepared_the_generic_run_is_the_prepared_one(postgres_only, tree, published):
    statement = Statement("SELECT count(*) FROM pages_post WHERE unit_id = %s", 1)
    with connection.cursor() as cursor:
        assert statement.fetchall_generic(cursor, [tree.hanoi.pk]) == [(Post.objects.filter(unit=tree.hanoi).count(),)]
    assert statement.name in _prepared_names()


def test_a_refused_prepare_runs_plain_and_leaves_the_transaction_usable(postgres_only, tree, caplog):
    statement = Statement("SELECT %s + %s", 2)  # unknown + unknown: PostgreSQL cannot choose the operator
    with connection.cursor() as cursor:
        statement.execute(cursor, [1, 2])  # plain, the driver writes the integers in
        assert cursor.fetchall() == [(3,)]
        statement.execute(cursor, [40, 2])
        assert cursor.fetchall() == [(42,)]
    assert "Could not prepare" in caplog.text
    assert OrgUnit.objects.exists()  # the surrounding transaction was not aborted


def test_a_statement_already_prepared_on_the_connection_is_used(postgres_only):
    statement = Statement("SELECT %s::int + 1", 1)
    with connection.cursor() as cursor:
        statement.execute(cursor, [1])
        connection.__dict__["vf_prepared"] = set()  # forgotten here, still on the server
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        statement.execute(cursor, [41])
        assert cursor.fetchall() == [(42,)]
    assert captured[0]["sql"] == f"/* SELECT %s::int + 1 */ EXECUTE {statement.name}(41)"


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again(postgres_only, tree):
    query = Precompiled(lambda *, parent_id: OrgUnit.objects.filter(parent_id=parent_id).order_by("id"))
    expected = list(OrgUnit.objects.filter(parent=tree.hanoi).order_by("id").values_list("pk", flat=True))
    assert [u.pk for u in query.list(parent_id=tree.hanoi.pk)] == expected
    statement = Statement("SELECT %s::int * 2", 1)
    with connection.cursor() as cursor:  # ``django.db.connection`` is a proxy: not what is prepared on
        statement.execute(cursor, [2])
    connection.close()
    assert [u.pk for u in query.list(parent_id=tree.hanoi.pk)] == expected
    assert next(iter(query._compiled.values())).statement.name in _prepared_names()
    with connection.cursor() as cursor:
        statement.execute(cursor, [21])
        assert cursor.fetchall() == [(42,)]


def test_values_list_rows_are_tuples_as_the_plain_queryset_gives(tree):
    query = Precompiled(lambda *, tree_id: OrgUnit.objects.filter(tree_id=tree_id).order_by("lft")
                        .values_list("pk", "path", "level"))
    assert query.list(tree_id=tree.hanoi.tree_id) == list(
        OrgUnit.objects.filter(tree_id=tree.hanoi.tree_id).order_by("lft").values_list("pk", "path", "level"))
    with pytest.raises(ValueError, match="values_list"):
        Precompiled(lambda *, tree_id: OrgUnit.objects.filter(tree_id=tree_id).values("pk")).list(tree_id=1)


def test_prepared_list_gives_the_querysets_rows_in_one_query(tree, published):
    from vietfront.precompiled import prepared_list

    queryset = Post.objects.filter(unit__in=[tree.hanoi, tree.dongda]).select_related("unit").order_by("-id")
    with CaptureQueriesContext(connection) as captured:
        rows = prepared_list(queryset)
    assert len(captured) == 1
    related = ("unit",)
    assert [_snapshot(p, *related) for p in rows] == [_snapshot(p, *related) for p in queryset.all()] != []
    assert prepared_list(Post.objects.filter(pk__in=[])) == []  # Django's "nothing can match"


def test_a_prepared_statement_runs_its_generic_plan_from_the_first_run(postgres_only, tree):
    """Left to choose, PostgreSQL re-planned some statements on every run; the connection's
    ``plan_cache_mode`` makes every run use the one plan made for any value ($1 in it)."""
    statement = Statement("SELECT id FROM orgunits_orgunit WHERE parent_id = %s", 1)
    with connection.cursor() as cursor:
        statement.execute(cursor, [tree.hanoi.pk])
        cursor.execute(f"EXPLAIN EXECUTE {statement.name}(%s)", [tree.hanoi.pk])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "= $1" in plan
    assert f"= {tree.hanoi.pk}" not in plan
