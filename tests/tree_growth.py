"""Growing the small test tree to show that a page's cost does not grow with it."""

from __future__ import annotations

from django.db import transaction

from orgunits.models import OrgUnit, UnitKind
from pages.models import CommunityPage, PageStatus


def grow_communes(parent: OrgUnit, count: int) -> list[CommunityPage]:
    """``count`` more communes under ``parent``, each with an active page, by bulk inserts and
    one rebuild (as an import does); their pages in code order."""
    parent = OrgUnit.objects.get(pk=parent.pk)
    with transaction.atomic():
        OrgUnit.objects.bulk_create([
            OrgUnit(name=f"Phường Thử {i}", kind=UnitKind.COMMUNE, code=f"9{i:04d}", slug=f"phuong-thu-{i}",
                    path=f"{parent.path}/phuong-thu-{i}", parent=parent, tree_id=0, lft=0, rght=0, level=0)
            for i in range(count)
        ])
        OrgUnit.objects.rebuild()
    units = list(OrgUnit.objects.filter(code__startswith="9", kind=UnitKind.COMMUNE).order_by("code"))
    return CommunityPage.objects.bulk_create([CommunityPage(unit=u, status=PageStatus.ACTIVE) for u in units])
