"""QuerySets of the rollout app."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from orgunits.managers import subtree_q


class OfficialDocumentQuerySet(models.QuerySet):
    def published(self) -> OfficialDocumentQuerySet:
        """Documents whose post the public may see (the same test as ``Post.objects.published``)."""
        return self.filter(post__live_revision__isnull=False, post__published_at__lte=timezone.now())

    def in_subtree(self, unit) -> OfficialDocumentQuerySet:
        return self.filter(subtree_q(unit, "unit__"))
