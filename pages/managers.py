"""QuerySets of the pages app. Tree scoping filters on the unit's MPTT interval in one query."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from orgunits.managers import subtree_q

if TYPE_CHECKING:
    from orgunits.models import OrgUnit


class UnitOwnedQuerySet(models.QuerySet):
    #: ORM path from the model to its ``OrgUnit``, with the trailing "__".
    unit_prefix = "unit__"

    def in_subtree(self, unit: OrgUnit) -> models.QuerySet:
        """Rows owned by ``unit`` or any unit below it."""
        return self.filter(subtree_q(unit, self.unit_prefix))


class CommunityPageQuerySet(UnitOwnedQuerySet):
    def active(self) -> CommunityPageQuerySet:
        from .models import PageStatus

        return self.filter(status=PageStatus.ACTIVE)


class MediaImageQuerySet(UnitOwnedQuerySet):
    pass


class PostQuerySet(UnitOwnedQuerySet):
    def published(self, now: datetime.datetime | None = None) -> PostQuerySet:
        """What the public may see: a live approved revision whose publication time has come
        (``now`` unless given).

        Withdrawing or taking a post down clears ``live_revision``: it disappears everywhere.
        """
        return self.filter(live_revision__isnull=False, published_at__lte=now or timezone.now())
