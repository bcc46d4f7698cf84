"""Serialise writes to the unit tree.

django-mptt is not safe under concurrent writers: two inserts or moves computing ``lft``/``rght``
from the same stale snapshot corrupt the tree. Every tree write takes this lock first.
"""

import contextlib
import threading
import zlib
from collections.abc import Iterator

from django.db import connection, transaction

# A stable 32-bit key for pg_advisory_xact_lock, derived from a name rather than a magic number.
TREE_LOCK_KEY = zlib.crc32(b"vietfront.orgunits.tree")

# SQLite serialises writers itself (transactions are IMMEDIATE, see settings); the process lock
# only keeps threads of one process from waiting on SQLite's busy timeout.
_process_lock = threading.RLock()


@contextlib.contextmanager
def tree_write_lock() -> Iterator[None]:
    """Open a transaction holding the tree's write lock until it commits or rolls back.

    On PostgreSQL a transaction-level advisory lock, released by the database at the end of the
    transaction even if the process dies. Re-read any node after entering: instances loaded
    before the lock may hold stale ``lft``/``rght``.
    """
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])
            yield
    else:
        with _process_lock, transaction.atomic():
            yield
