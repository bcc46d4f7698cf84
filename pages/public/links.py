"""Public URLs built without ``reverse()`` per link: a page of cards links every post, unit and
topic it shows (~90 links on a province page, ~30 µs each through the resolver). Each pattern is
reversed once per script prefix with placeholder values; a link is then a string replacement.
Paths and slugs only ever hold ``[a-z0-9-]`` (and ``/`` between a path's slugs), which need no
quoting; anything else goes through ``reverse()`` and fails as loudly as before.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

_SAFE = re.compile(r"[a-z0-9-]+(?:/[a-z0-9-]+)*\Z")
_PATH, _SLUG = "zzpathzz", "zzslugzz"


@lru_cache(maxsize=16)
def _cached_patterns(prefix: str, urlconf: str) -> dict[str, str]:
    return {
        "home": reverse("public:home"),
        "unit": reverse("public:unit", kwargs={"unit_path": _PATH}),
        "post": reverse("public:post", kwargs={"unit_path": _PATH, "slug": _SLUG}),
        "central_post": reverse("public:central_post", kwargs={"slug": _SLUG}),
        "topic": reverse("public:topic", kwargs={"unit_path": _PATH, "slug": _SLUG}),
        "central_topic": reverse("public:central_topic", kwargs={"slug": _SLUG}),
    }


def _resolver_key() -> tuple[str, str]:
    # Keyed like Django's own resolver caches: by script prefix and URLconf (tests and the
    # benchmark swap ``ROOT_URLCONF``).
    return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF


def _patterns() -> dict[str, str]:
    return _cached_patterns(*_resolver_key())


def is_unit_path(value: str) -> bool:
    """Whether ``value`` could be a unit's path: slugs of ``[a-z0-9-]`` (or the centre's empty
    one). Anything else names no unit, and is not worth a query (a NUL byte fails one)."""
    return value == "" or bool(_SAFE.match(value))


def _build(name: str, path: str = "", slug: str = "") -> str:
    if (path and not _SAFE.match(path)) or (slug and not _SAFE.match(slug)) or "/" in slug:
        kwargs = {"slug": slug} if slug else {}
        if path:
            kwargs["unit_path"] = path
        return reverse(f"public:{name}", kwargs=kwargs)
    return _patterns()[name].replace(_PATH, path).replace(_SLUG, slug)


def unit_href(path: str) -> str:
    """What ``OrgUnit.get_absolute_url`` answers, for a unit's ``path``."""
    return _build("unit", path) if path else _patterns()["home"]


def post_href(unit_path: str, slug: str) -> str:
    """What ``Post.get_absolute_url`` answers, for the post's unit path and slug."""
    return _build("post", unit_path, slug) if unit_path else _build("central_post", slug=slug)


def topic_href(slug: str, unit_path: str = "") -> str:
    """A topic within a unit's subtree, or nationwide at the root."""
    return _build("topic", unit_path, slug) if unit_path else _build("central_topic", slug=slug)


def fixed_href(name: str) -> str:
    """``reverse(name)`` for a pattern that takes no arguments, once per script prefix and
    URLconf: every public page links home, the directory, the search, the feeds (eight in the
    header and footer, ~23 µs each through ``{% url %}``)."""
    return _fixed(name, *_resolver_key())


@lru_cache(maxsize=256)
def _fixed(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name)
