"""Writes to the unit tree. Each takes the tree lock and re-reads the nodes it changes.

Renames, moves and merges keep every old public path as a redirect, so links that citizens
shared keep working after a reorganisation (the 2025 reform renamed, moved, merged and
dissolved units by the thousand).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from vietfront.text import vi_slugify

from ..locking import tree_write_lock
from ..models import OrgUnit, OrgUnitRedirect, UnitKind

BATCH_SIZE = 1000

# Which kinds may sit directly under which. Communes sit under provinces in the 2025 structure.
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    UnitKind.CENTRAL: {None},
    UnitKind.PROVINCE: {UnitKind.CENTRAL},
    UnitKind.DISTRICT: {UnitKind.PROVINCE},
    UnitKind.COMMUNE: {UnitKind.DISTRICT, UnitKind.PROVINCE},
}


def unit_slug_base(*, name: str, short_name: str, kind: str) -> str:
    """Provinces go by their short name ("ha-noi"); lower units by their full name, which keeps
    "Huyện Thái Bình" and "Thành phố Thái Bình" apart ("huyen-...", "thanh-pho-...")."""
    if kind == UnitKind.PROVINCE and short_name:
        return vi_slugify(short_name) or "don-vi"
    return vi_slugify(name) or "don-vi"


def unique_slug(base: str, taken: set[str]) -> str:
    """The first of base, base-2, base-3... not in ``taken``: deterministic for a given order."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def join_path(parent_path: str, slug: str) -> str:
    """Public path of a unit under ``parent_path`` ("" for children of the central unit)."""
    return f"{parent_path}/{slug}" if parent_path else slug


def unit_parent_check(*, kind: str, parent: OrgUnit | None) -> None:
    """Refuse with ``ValidationError`` unless a unit of ``kind`` may sit directly under ``parent``."""
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENT_KINDS[kind]:
        raise ValidationError(
            _("Đơn vị cấp “%(kind)s” không thể trực thuộc “%(parent)s”.")
            % {"kind": UnitKind(kind).label, "parent": parent.name if parent else _("(không có)")},
            code="invalid_parent",
        )


def _sibling_slugs(parent: OrgUnit | None, *, exclude_pk: int | None = None) -> set[str]:
    qs = OrgUnit.objects.filter(parent=parent)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return set(qs.values_list("slug", flat=True))


def paths_rewrite(changed: list[tuple[int, str, str]]) -> None:
    """Give each unit of ``changed`` (pk, old path, new path) its new path, keeping every
    non-empty old path as a redirect to the unit. A fixed number of statements per batch.

    Caller holds the tree lock. ``path`` is not an MPTT field, so bulk writes are safe here.
    """
    if not changed:
        return
    # Two-phase so a swap of paths among the changed units never trips the unique index.
    OrgUnit.objects.bulk_update(
        [OrgUnit(pk=pk, path=f"~moving~{pk}") for pk, _old, _new in changed], ["path"], batch_size=BATCH_SIZE
    )
    OrgUnit.objects.bulk_update(
        [OrgUnit(pk=pk, path=new) for pk, _old, new in changed], ["path"], batch_size=BATCH_SIZE
    )
    OrgUnitRedirect.objects.bulk_create(
        [OrgUnitRedirect(old_path=old, unit_id=pk) for pk, old, _new in changed if old],
        update_conflicts=True,
        unique_fields=["old_path"],
        update_fields=["unit"],
        batch_size=BATCH_SIZE,
    )
    # A live path always wins over a redirect that used to point elsewhere.
    new_paths = [new for _pk, _old, new in changed]
    for start in range(0, len(new_paths), BATCH_SIZE):
        OrgUnitRedirect.objects.filter(old_path__in=new_paths[start : start + BATCH_SIZE]).delete()


def _refresh_subtree_paths(unit: OrgUnit) -> None:
    """Recompute ``path`` for ``unit`` and its subtree, keeping the old paths as redirects.

    Caller holds the tree lock and ``unit`` is fresh (re-read after any tree change).
    """
    parent_path = unit.parent.path if unit.parent_id else ""
    nodes = OrgUnit.objects.in_subtree(unit).order_by("lft").values_list("pk", "parent_id", "slug", "path")
    new_paths: dict[int, str] = {}
    changed: list[tuple[int, str, str]] = []
    for pk, parent_id, slug, path in nodes:
        # In lft order a parent comes before its children. The central unit is the site's home:
        # its path is empty and its children start at the top.
        base = parent_path if pk == unit.pk else new_paths.get(parent_id, parent_path)
        new_paths[pk] = new_path = join_path(base, slug) if parent_id else ""
        if path != new_path:
            changed.append((pk, path, new_path))
    paths_rewrite(changed)


def unit_create(
    *, name: str, kind: str, parent: OrgUnit | None, code: str = "", short_name: str = ""
) -> OrgUnit:
    with tree_write_lock():
        parent = OrgUnit.objects.get(pk=parent.pk) if parent else None
        unit_parent_check(kind=kind, parent=parent)
        slug = unique_slug(unit_slug_base(name=name, short_name=short_name, kind=kind), _sibling_slugs(parent))
        unit = OrgUnit(
            name=name,
            short_name=short_name,
            kind=kind,
            code=code,
            slug=slug,
            parent=parent,
            path=join_path(parent.path, slug) if parent else "",
        )
        unit.full_clean(exclude=["lft", "rght", "tree_id", "level"])
        unit.save()
        OrgUnitRedirect.objects.filter(old_path=unit.path).delete()
        return unit


def unit_rename(*, unit: OrgUnit, name: str, short_name: str | None = None) -> OrgUnit:
    with tree_write_lock():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        unit.name = name
        if short_name is not None:
            unit.short_name = short_name
        base = unit_slug_base(name=unit.name, short_name=unit.short_name, kind=unit.kind)
        unit.slug = unique_slug(base, _sibling_slugs(unit.parent, exclude_pk=unit.pk))
        unit.save(update_fields=["name", "short_name", "slug", "updated_at"])
        # A rename leaves lft/rght as they were: the locked instance is fresh enough.
        _refresh_subtree_paths(unit)
        return OrgUnit.objects.get(pk=unit.pk)


def unit_move_check(*, unit: OrgUnit, new_parent: OrgUnit) -> None:
    """Refuse with ``ValidationError`` unless ``unit`` may move under ``new_parent``.

    Both must be fresh (their ``lft``/``rght`` read under the tree lock, or the answer is only
    advisory, as in a form).
    """
    if new_parent.tree_id == unit.tree_id and unit.lft <= new_parent.lft <= unit.rght:
        raise ValidationError(
            _("Không thể chuyển một đơn vị vào chính nó hoặc đơn vị cấp dưới của nó."), code="own_subtree"
        )
    unit_parent_check(kind=unit.kind, parent=new_parent)
    if not new_parent.is_active:
        raise ValidationError(_("Không thể chuyển vào đơn vị đã giải thể."), code="dissolved_parent")


def unit_move(*, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    with tree_write_lock():
        unit = OrgUnit.objects.get(pk=unit.pk)
        new_parent = OrgUnit.objects.get(pk=new_parent.pk)
        unit_move_check(unit=unit, new_parent=new_parent)
        slug = unique_slug(unit.slug, _sibling_slugs(new_parent, exclude_pk=unit.pk))
        if slug != unit.slug:
            OrgUnit.objects.filter(pk=unit.pk).update(slug=slug)
            unit.slug = slug
        # Saving the new parent lets django-mptt place the unit by code among its new siblings,
        # the same order a rebuild() would give.
        unit.parent = new_parent
        unit.save()
        _refresh_subtree_paths(OrgUnit.objects.get(pk=unit.pk))
        return OrgUnit.objects.get(pk=unit.pk)


def unit_dissolve(
    *, unit: OrgUnit, on: datetime.date, successor: OrgUnit | None = None
) -> OrgUnit:
    """Mark a unit dissolved. Its content stays; its page points citizens to the successor.

    Refused while it still has active units below it: move or dissolve those first.
    """
    with tree_write_lock():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        if unit.kind == UnitKind.CENTRAL:
            raise ValidationError(_("Không thể giải thể Ủy ban Trung ương."))
        if OrgUnit.objects.in_subtree(unit, include_self=False).active().exists():
            raise ValidationError(
                _("Đơn vị “%(name)s” còn đơn vị cấp dưới đang hoạt động; hãy chuyển hoặc giải thể các đơn vị đó trước.")
                % {"name": unit.name}
            )
        if successor is not None:
            successor = OrgUnit.objects.filter(pk=successor.pk).first()
        if successor is not None and (successor.pk == unit.pk or not successor.is_active):
            raise ValidationError(_("Đơn vị kế thừa phải là một đơn vị khác đang hoạt động."))
        unit.is_active = False
        unit.dissolved_on = on
        unit.successor = successor
        unit.save(update_fields=["is_active", "dissolved_on", "successor", "updated_at"])
        if successor is not None:  # its page lists the predecessors ("Trước đây: …")
            OrgUnit.objects.filter(pk=successor.pk, has_predecessors=False).update(has_predecessors=True)
        return unit


def unit_merge(*, sources: Iterable[OrgUnit], into: OrgUnit, on: datetime.date) -> OrgUnit:
    """Merge ``sources`` into ``into``: their children move under it (their old paths become
    redirects) and the sources are dissolved with ``into`` as successor; a dissolved unit's own
    page stays at its path and points citizens to the successor."""
    with tree_write_lock():
        into = OrgUnit.objects.get(pk=into.pk)
        sources = list(sources)
        source_ids = [s.pk for s in sources]
        if into.pk in source_ids:
            raise ValidationError(_("Không thể sáp nhập một đơn vị vào chính nó."))
        # unit_move and unit_dissolve re-read the nodes they change under the (re-entrant) lock,
        # so the instances passed here only need their primary keys.
        for child in OrgUnit.objects.filter(parent_id__in=source_ids, is_active=True).order_by("pk"):
            unit_move(unit=child, new_parent=into)
        for source in sources:
            unit_dissolve(unit=source, on=on, successor=into)
        return OrgUnit.objects.get(pk=into.pk)


def resolve_redirect(path: str) -> OrgUnit | None:
    """The unit an old path now stands for, following successors of dissolved units."""
    redirect = OrgUnitRedirect.objects.select_related("unit").filter(old_path=path.strip("/")).first()
    unit = redirect.unit if redirect else None
    seen: set[int] = set()
    while unit is not None and not unit.is_active and unit.successor_id and unit.pk not in seen:
        seen.add(unit.pk)
        unit = OrgUnit.objects.filter(pk=unit.successor_id).first()
    return unit
