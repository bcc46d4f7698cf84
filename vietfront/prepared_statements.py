"""PostgreSQL prepared statements for SQL text that a process runs again and again.

Planning, not executing, was most of what PostgreSQL spent on a cold public page: the page's
posts query joins eight tables and took 1.2 ms to plan and 0.2 ms to run. A statement is
prepared once per connection and always runs its generic plan (the settings open PostgreSQL
connections with ``plan_cache_mode = force_generic_plan``): 1.46 → 0.25 ms for that query
(``docs/PERFORMANCE.md``, "Public site"). Left to choose (``auto``), PostgreSQL kept planning
some statements afresh on every run, by an estimate of their generic plan that was off (the
country's newest posts: 1.16 ms a run instead of 0.32). So a statement given to ``statement``
must be one whose best plan does not depend on its values: the plans that do are fixed in the
SQL itself (``MATERIALIZED`` steps, ``OFFSET 0``), as in ``pages.search``.

The ``PREPARE`` goes through the driver's cursor, not Django's: it belongs to the query it
prepares, which Django logs and counts once, as ``EXECUTE name(…)`` preceded, when queries are
logged (``DEBUG``, ``CaptureQueriesContext``), by the statement's SQL in a comment.
PostgreSQL's own log shows a prepared statement's text with each ``EXECUTE`` it logs. A prepared statement
outlives a rolled-back transaction, and a new connection (``connection_created``) starts with
none. Behind a pooler that hands each transaction to another server connection (PgBouncer in
transaction mode) prepared statements cannot be used: set ``DB_PREPARED_STATEMENTS=0``.
"""

from __future__ import annotations

import itertools
import logging
import re
import uuid
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver

log = logging.getLogger(__name__)

DUPLICATE_PREPARED_STATEMENT = "42P05"
_numbers = itertools.count(1)
#: Names whose PREPARE PostgreSQL refused (a parameter whose type it cannot infer): run plain.
_refused: set[str] = set()


class Statement:
    """One SQL text (Django's ``%s`` placeholders) with the name it is prepared under."""

    def __init__(self, sql: str, param_count: int) -> None:
        self.sql = sql
        self.name = f"vf_stmt_{next(_numbers)}"
        numbers = itertools.count(1)
        self._numbered = re.sub(r"%%|%s", lambda m: "%" if m.group(0) == "%%" else f"${next(numbers)}", sql)
        self._arguments = f"({', '.join(['%s'] * param_count)})" if param_count else ""
        self.prepare_sql = self._prepare_as(self.name)
        # In a comment its placeholders must not count as the driver's (``%%`` prints ``%``).
        self.logged_sql = sql.replace("*/", "* /").replace("%", "%%")
        self.execute_sql = self._execute_as(self.name)

    def _prepare_as(self, name: str) -> str:
        return f"PREPARE {name} AS {self._numbered}"

    def _execute_as(self, name: str) -> str:
        return f"EXECUTE {name}{self._arguments}"

    def execute(self, cursor, params: list) -> None:  # noqa: ANN001 - a Django cursor
        """Run the statement on ``cursor``, prepared if it can be."""
        # The cursor's own connection, never ``django.db.connection``: that proxy outlives the
        # connections it stands for, and what is prepared belongs to one of them.
        connection = cursor.db
        if not self._usable(connection):
            cursor.execute(self.sql, params)
            return
        prepared = connection.__dict__.setdefault("vf_prepared", set())
        if self.name not in prepared and not self._prepare(connection):
            cursor.execute(self.sql, params)
            return
        prepared.add(self.name)
        if connection.queries_logged:
            # Debugging, tests, CaptureQueriesContext: the log shows what is run, not just a name.
            cursor.execute(f"/* {self.logged_sql} */ {self.execute_sql}", params)
        else:
            cursor.execute(self.execute_sql, params)

    def fetchall_generic(self, cursor, params: list) -> list[tuple]:  # noqa: ANN001 - a Django cursor
        """The statement's rows, run as ``execute`` runs it; and where statements cannot be kept
        prepared (behind a pooler, ``DB_PREPARED_STATEMENTS=0``) still by its generic plan:
        prepared, executed and deallocated in one transaction, which a pooler in transaction
        mode keeps on one server connection, under a name of its own (should an error skip the
        ``DEALLOCATE``, what is left there cannot collide with another statement).

        For statements whose plan made with their values is far worse than the generic one: the
        search within a unit, whose pairs the planner then checks row by row on every post of
        the subtree (74 ms in Hà Nội, against 11 planned once a search this way and ~9 kept
        prepared; ``docs/PERFORMANCE.md``)."""
        connection = cursor.db
        if connection.vendor != "postgresql" or getattr(settings, "VIETFRONT_PREPARED_STATEMENTS", True):
            self.execute(cursor, params)
            return cursor.fetchall()
        name = f"vf_once_{uuid.uuid4().hex}"
        with transaction.atomic(using=connection.alias):
            cursor.execute(f"SET LOCAL plan_cache_mode = force_generic_plan; {self._prepare_as(name)}")
            cursor.execute(self._execute_as(name), params)
            rows = cursor.fetchall()
            # The setting back to the session's, should this run inside a longer transaction.
            cursor.execute(f"DEALLOCATE {name}; SET LOCAL plan_cache_mode = DEFAULT")
        return rows

    def _usable(self, connection) -> bool:  # noqa: ANN001
        return (connection.vendor == "postgresql" and self.name not in _refused
                and getattr(settings, "VIETFRONT_PREPARED_STATEMENTS", True))

    def _prepare(self, connection) -> bool:  # noqa: ANN001
        """PREPARE on the driver's cursor; inside a transaction under a savepoint of its own,
        so that a refusal leaves the transaction usable."""
        in_transaction = not connection.get_autocommit()
        with connection.connection.cursor() as raw:
            try:
                if in_transaction:
                    raw.execute("SAVEPOINT vf_prepare")
                raw.execute(self.prepare_sql)
            except connection.Database.Error as error:
                if in_transaction:
                    raw.execute("ROLLBACK TO SAVEPOINT vf_prepare")
                if getattr(error, "pgcode", None) == DUPLICATE_PREPARED_STATEMENT:
                    return True  # prepared on this connection already: what matters is that it is there
                log.warning("Could not prepare %s, running it unprepared: %s", self.name, error)
                _refused.add(self.name)
                return False
            if in_transaction:
                raw.execute("RELEASE SAVEPOINT vf_prepare")
        return True


@lru_cache(maxsize=128)
def statement(sql: str, param_count: int) -> Statement:
    """The ``Statement`` of a hand-written SQL text that varies only by its values; texts
    assembled from a few optional fragments give a few statements each."""
    return Statement(sql, param_count)


@receiver(connection_created)
def _forget_prepared(sender, connection, **kwargs) -> None:  # noqa: ANN001 - signal signature
    connection.__dict__["vf_prepared"] = set()
