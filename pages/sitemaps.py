"""Sitemaps sized for 11,000 units and millions of posts: an index of paginated sections.

Each section page reads only the columns its URLs need (``values_list``); a post page holds
10,000 URLs (the protocol allows 50,000), the units 5,000. ``lastmod`` is the publication time.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import timezone

from orgunits.models import OrgUnit

from .models import Post


class UnitSitemap(Sitemap):
    limit = 5000
    changefreq = "daily"
    priority = 0.6

    def items(self):
        return OrgUnit.objects.filter(is_active=True).order_by("id").values_list("path", "updated_at")

    def location(self, item) -> str:
        path = item[0]
        return reverse("public:unit", kwargs={"unit_path": path}) if path else reverse("public:home")

    def lastmod(self, item):
        return item[1]

    def get_latest_lastmod(self):
        return OrgUnit.objects.filter(is_active=True).order_by("-updated_at").values_list(
            "updated_at", flat=True).first()


class PostSitemap(Sitemap):
    limit = 10000
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return (
            Post.objects.published()
            .order_by("id")
            .values_list("unit__path", "slug", "published_at")
        )

    def location(self, item) -> str:
        path, slug, _ = item
        if not path:
            return reverse("public:central_post", kwargs={"slug": slug})
        return reverse("public:post", kwargs={"unit_path": path, "slug": slug})

    def lastmod(self, item):
        return item[2]

    def get_latest_lastmod(self):
        return Post.objects.published().order_by("-published_at").values_list("published_at", flat=True).first() \
            or timezone.now()


SITEMAPS = {"don-vi": UnitSitemap, "bai-viet": PostSitemap}
