"""Querysets compiled once per process and run many times with new values.

A cold public page spent more time in Django building and compiling its two or three
querysets (cloning, resolving lookups and joins, ordering, quoting: 1–2 ms each on this
hardware) than PostgreSQL spent answering them. A ``Precompiled`` query builds its queryset
once per *shape* with marker values, compiles it, and remembers where each marker landed in
the parameters; later calls bind the real values to the same SQL and build the model
instances the way Django's own ``ModelIterable`` does, from the same compiler state. What
the queryset means is still written as a queryset, in one place.

Only what the markers can stand for is substituted: a value that would change the SQL
Django writes (``None``, an empty list) makes the call fall back to the plain queryset, and a
builder whose marker does not reach the parameters unchanged (a ``LIKE`` pattern built from
it, say) is refused when it is first compiled. Limits, offsets and the lengths of ``IN``
lists are part of the SQL, so they belong in ``shape``.

This reads compiler internals (``select``, ``klass_info``, ``annotation_col_map``) that
``ModelIterable`` reads in the pinned Django; ``tests/test_precompiled.py`` compares every
precompiled query with its plain queryset.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

from .prepared_statements import Statement, statement

#: Compilations kept per query; past them, calls run the plain queryset.
MAX_SHAPES = 64
_MARKER_DAY = datetime.datetime(1111, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class _Compiled:
    statement: Statement
    params: tuple
    slots: tuple[tuple[int, str, int | None], ...]  # (param index, value name, list position)
    compiler: Any
    model: type
    init_list: list[str]
    fields_start: int
    fields_end: int
    populators: list
    annotations: dict[str, int]
    converters: dict
    col_count: int | None


class Precompiled:
    """``Precompiled(build)``; ``build(**shape, **values) -> QuerySet``.
    ``query.list(shape, **values)`` returns what ``list(build(**shape, **values))`` would,
    compiled once per database and shape (a dict of hashable arguments that change the SQL
    text: limits, flags). Values may be ints, strings, aware datetimes, or lists of those (one
    compilation per length)."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._compiled: dict[tuple, _Compiled] = {}

    def list(self, shape: dict[str, Hashable] | None = None, *, using: str = "default", **values: Any) -> list:
        shape = shape or {}
        if any(_changes_sql(v) for v in values.values()):
            return list(self.build(**shape, **values).using(using))
        key = (using, tuple(sorted(shape.items())),
               tuple((name, len(v) if isinstance(v, list) else -1) for name, v in sorted(values.items())))
        compiled = self._compiled.get(key)
        if compiled is None:
            if len(self._compiled) >= MAX_SHAPES:  # a shape per page number, say: not worth keeping
                return list(self.build(**shape, **values).using(using))
            compiled = self._compiled[key] = self._compile(using, shape, values)
        return _run(compiled, using, values)

    def _compile(self, using: str, shape: dict[str, Hashable], values: dict[str, Any]) -> _Compiled:
        """Compile with two sets of markers; the parameters that differ between the two are
        the values' places. A difference that is not a marker (a value transformed on its way:
        a ``LIKE`` pattern, an arithmetic result) or a different SQL text is refused."""
        runs = []
        for variant in (0, 1):
            counter = itertools.count(1)
            markers = {name: _marker(v, counter, variant) for name, v in values.items()}
            queryset = self.build(**shape, **markers).using(using)
            if queryset._prefetch_related_lookups or queryset._known_related_objects:
                raise ValueError("Precompiled queries build rows only: no prefetching.")
            if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
                raise ValueError("Precompiled queries yield model rows or values_list() tuples.")
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            where = {}
            for name, marker in markers.items():
                for position, item in enumerate(marker) if isinstance(marker, list) else [(None, marker)]:
                    where[_adapted(item, using)] = (name, position)
            runs.append((compiler, sql, tuple(params), where))
        (compiler, sql, params, where), (_c, other_sql, other_params, other_where) = runs
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError("The values change the SQL text; make what changes it part of the shape.")
        slots = []
        for index, (param, other) in enumerate(zip(params, other_params, strict=True)):
            if param == other:
                continue
            hit = where.get(param)
            if hit is None or other_where.get(other) != hit:
                raise ValueError(f"Parameter {index} ({param!r}) was computed from a value; pass it as a value of its own.")
            slots.append((index, *hit))
        missing = set(where.values()) - {slot[1:] for slot in slots}
        if missing:
            raise ValueError(f"Values {sorted(missing, key=str)} do not reach the SQL as parameters.")
        return _compiled(compiler, Statement(sql, len(params)), params, tuple(slots), using,
                         tuples=queryset._iterable_class is ValuesListIterable)


def prepared_list(queryset: QuerySet) -> list:
    """``list(queryset)`` run as a prepared statement (PostgreSQL), for a queryset built anew on
    each request whose SQL text repeats (an admin list's page, say): compiled as usual, planned
    once per connection. Model rows or ``values_list`` tuples."""
    using = queryset.db
    compiler = queryset.query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    tuples = queryset._iterable_class is ValuesListIterable
    return _run(_compiled(compiler, statement(sql, len(params)), tuple(params), (), using, tuples=tuples), using, {})


def _compiled(compiler: Any, statement: Statement, params: tuple, slots: tuple, using: str, *, tuples: bool
              ) -> _Compiled:
    """What running the compiled SQL needs: the statement, and how rows become what the
    queryset yields (Django's ``ModelIterable`` for model rows, plain tuples for
    ``values_list``)."""
    klass_info, select = compiler.klass_info, compiler.select
    fields = [s[0] for s in select[0 : compiler.col_count]]
    common = {"statement": statement, "params": params, "slots": slots, "compiler": compiler,
              "converters": compiler.get_converters(fields),
              "col_count": compiler.col_count if compiler.has_extra_select else None}
    if tuples:  # values_list()
        return _Compiled(**common, model=None, init_list=[], fields_start=0, fields_end=0, populators=[],
                         annotations={})
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    return _Compiled(
        **common, model=klass_info["model"], init_list=[f[0].target.attname for f in select[start:end]],
        fields_start=start, fields_end=end, populators=get_related_populators(klass_info, select, using),
        annotations=dict(compiler.annotation_col_map or {}),
    )


def _run(compiled: _Compiled, using: str, values: dict[str, Any]) -> list:
    params = list(compiled.params)
    for index, name, position in compiled.slots:
        value = values[name] if position is None else values[name][position]
        params[index] = _adapted(value, using)
    connection = connections[using]
    with connection.cursor() as cursor:
        compiled.statement.execute(cursor, params)
        rows = cursor.fetchall()
    if compiled.col_count is not None:
        rows = [row[: compiled.col_count] for row in rows]
    if compiled.converters:
        rows = compiled.compiler.apply_converters(rows, compiled.converters)
    if compiled.model is None:
        return [tuple(row) for row in rows]
    objects = []
    start, end = compiled.fields_start, compiled.fields_end
    for row in rows:
        obj = compiled.model.from_db(using, compiled.init_list, row[start:end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        for attr, position in compiled.annotations.items():
            setattr(obj, attr, row[position])
        objects.append(obj)
    return objects


def _changes_sql(value: Any) -> bool:
    return value is None or (isinstance(value, list) and (not value or any(v is None for v in value)))


def _marker(value: Any, counter: itertools.count, variant: int) -> Any:
    """A stand-in for ``value`` of the same type, distinct per value and per variant. Integers
    stay small enough for every integer field (Django turns an out-of-range lookup into an
    empty result)."""
    if isinstance(value, list):
        return [_marker(v, counter, variant) for v in value]
    if isinstance(value, bool):
        raise TypeError("A boolean changes the SQL Django writes; make it part of the shape.")
    if isinstance(value, int):
        return 30_000 + 1_000 * variant + next(counter)
    if isinstance(value, str):
        # The characters any escaping changes (LIKE's, quotes): a value escaped on its way to
        # the SQL then differs from its marker, and is refused instead of rebound unescaped.
        return f"\x1fvf-marker-{variant}-{next(counter)}%_\\'\x1f"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise TypeError("Precompiled queries take aware datetimes only.")
        return _MARKER_DAY.replace(year=_MARKER_DAY.year + variant) + datetime.timedelta(microseconds=next(counter))
    raise TypeError(f"Precompiled queries cannot stand in for a {type(value).__name__}.")


def _adapted(value: Any, using: str) -> Any:
    """A value as Django's compiler hands it to the driver: datetimes go through the
    backend's adaptation (SQLite stores them as text), the rest as they are."""
    if isinstance(value, datetime.datetime):
        return connections[using].ops.adapt_datetimefield_value(value)
    return value
