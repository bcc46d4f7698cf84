"""The admins' regulation configuration, kept per process and checked on every use against a
version held in the shared cache.

Reading the configuration fresh cost four queries per submission and per approval. A saved or
deleted banned term, allowed domain, rule setting or approval route replaces the version (a new
random token, never a counter that an evicted key could repeat): at once, so that the
transaction making the change reads its own rows, and again after commit, so that every process
reloads what was committed. A token set inside a transaction may outlive a rollback; this
process never keeps a copy under it (others only ever read committed rows). A version missing
or unreadable (the cache down) means a fresh read. Writes that send no signal
(``QuerySet.update``) must call ``bump_version`` themselves.

Only used with ``VIETFRONT_REGULATION_CACHE`` on: it needs a cache that every process shares;
a per-process local-memory cache would let one process's change go unseen by the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save

VERSION_KEY = "moderation:regulation-version"
CONFIG_MODELS = ("moderation.BannedTerm", "moderation.AllowedDomain", "moderation.RuleSetting",
                 "moderation.ApprovalRoute")

T = TypeVar("T")
_memo: dict[str, tuple[str, object]] = {}
_unsafe: set[str] = set()  # tokens this process set inside a transaction that may roll back


def _enabled() -> bool:
    return getattr(settings, "VIETFRONT_REGULATION_CACHE", False)


def _version() -> str | None:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()``'s result, from this process's copy while the shared version is unchanged."""
    if not _enabled():
        return load()
    version = _version()
    if version is None or version in _unsafe:
        return load()
    kept = _memo.get(name)
    if kept is not None and kept[0] == version:
        return kept[1]  # type: ignore[return-value]
    value = load()
    _memo[name] = (version, value)
    return value


def _set_version() -> str:
    token = uuid.uuid4().hex
    cache.set(VERSION_KEY, token, timeout=None)
    return token


def bump_version(using: str | None = None) -> None:
    """The configuration changed: every process reads it again, now and after commit."""
    _memo.clear()
    _unsafe.add(_set_version())
    transaction.on_commit(_set_version, using=using)


def _on_change(sender, using=None, **kwargs) -> None:
    bump_version(using=using)


def _on_migrate(sender, using=None, **kwargs) -> None:
    # Migrations and ``flush`` (test teardown) change the tables without model signals.
    _memo.clear()
    _set_version()


for _model in CONFIG_MODELS:
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"regulation-version-save-{_model}")
    post_delete.connect(_on_change, sender=_model, dispatch_uid=f"regulation-version-delete-{_model}")
post_migrate.connect(_on_migrate, dispatch_uid="regulation-version-migrate")
