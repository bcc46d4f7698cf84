"""RSS 2.0 and Atom feeds per unit: its own live posts, or its whole subtree's.

The central unit's own feed (``/rss/``, the home page's) is the national one: the centre's page
is the country's, and an almost empty feed there is what nobody subscribing to it expects.

Items are live revisions (title, summary) with their approved cover as an enclosure (the
largest JPEG rendition, else the largest rendition, else the original; its exact byte length
read from storage). The feed object is resolved by path in one query, the items in one more and
the covers' renditions in a third; the whole response is cached like any public page.

Everything here is plain text typed by people, and each field is written as its readers take
it. RSS ``description`` and Atom's ``summary type="html"`` are read as HTML, so the text is
HTML-escaped there: a summary ``<img src=x onerror=…>`` shows as those characters, not as an
image. Titles, author names and categories are text (Atom's default type; the RSS Advisory
Board's profile for RSS), written once XML-escaped, on one line. Control characters, which
XML 1.0 cannot carry, are removed everywhere (one in a title used to answer 500).
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.translation import gettext as _

from orgunits.models import OrgUnit, UnitKind
from vietfront.escaping import one_line, text_as_html

from .cache import public_cache
from .models import MediaImage, Post
from .public.selectors import attach_renditions, covers, subtree_posts
from .search import public_posts

FEED_SIZE = 30


class UnitFeed(Feed):
    """RSS of a unit's own posts; subclasses for Atom and for the whole subtree."""

    feed_type = Rss201rev2Feed
    whole_subtree = False

    def get_object(self, request: HttpRequest, unit_path: str = "") -> OrgUnit:
        unit = OrgUnit.objects.filter(path=unit_path.strip("/")).first()
        if unit is None:
            raise Http404("No unit at this path.")
        unit.feed_request = request  # this request's own instance: enclosure URLs are absolute
        return unit

    def _whole(self, unit: OrgUnit) -> bool:
        return self.whole_subtree or unit.kind == UnitKind.CENTRAL

    def title(self, unit: OrgUnit) -> str:
        if self._whole(unit):
            return one_line(_("%(name)s và các đơn vị trực thuộc") % {"name": unit.display_name})
        return one_line(unit.display_name)

    def link(self, unit: OrgUnit) -> str:
        return unit.get_absolute_url()

    def _about(self, unit: OrgUnit) -> str:
        return one_line(
            _("Tin bài chính thống của %(name)s – Trang cộng đồng MTTQ Việt Nam.") % {"name": unit.display_name}
        )

    def description(self, unit: OrgUnit) -> str:
        # The channel's <description> is the same element as an item's: readers render both.
        return text_as_html(self._about(unit))

    def subtitle(self, unit: OrgUnit) -> str:
        return self._about(unit)  # Atom <subtitle> without a type: text

    language = "vi"

    def items(self, unit: OrgUnit) -> list[Post]:
        if self._whole(unit):
            posts = subtree_posts(unit, limit=FEED_SIZE)[:FEED_SIZE]
        else:
            posts = list(public_posts().filter(unit=unit).order_by("-published_at", "-id")[:FEED_SIZE])
        images = covers(posts)
        attach_renditions(*images)
        # Posts sharing a cover hold separate instances; the renditions were read for one each.
        prefetched = {img.pk: img for img in images if img is not None and "renditions" in getattr(
            img, "_prefetched_objects_cache", {})}
        for post, cover in zip(posts, images, strict=True):
            found = _cover_file(prefetched[cover.pk]) if cover is not None else None
            post.feed_enclosures = [] if found is None else [
                Enclosure(unit.feed_request.build_absolute_uri(found[0]), str(found[1]), found[2])
            ]
        return posts

    def item_enclosures(self, post: Post) -> list[Enclosure]:
        return post.feed_enclosures

    def item_title(self, post: Post) -> str:
        return one_line(post.live_revision.title)

    def item_description(self, post: Post) -> str:
        return text_as_html(post.live_revision.summary)

    def item_link(self, post: Post) -> str:
        return post.get_absolute_url()

    def item_guid(self, post: Post) -> str:
        return f"post-{post.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, post: Post):
        return post.published_at

    def item_updateddate(self, post: Post):
        return post.published_at

    def item_author_name(self, post: Post) -> str:
        return one_line(post.unit.display_name)

    def item_categories(self, post: Post) -> list[str]:
        topic = post.live_revision.topic
        return [one_line(topic.name)] if topic else []


_MIME = {"jpeg": "image/jpeg", "webp": "image/webp"}
_MIME_BY_EXT = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


def _cover_file(image: MediaImage) -> tuple[str, int, str] | None:
    """(url, byte length, MIME type) of the copy of ``image`` a reader should take: the largest
    JPEG rendition (every reader shows JPEG), else the largest rendition, else the original.
    ``None`` when its file is gone from storage: an enclosure with a wrong length is invalid."""
    renditions = sorted(image.renditions.all(), key=lambda r: (r.format == "jpeg", r.width))
    if renditions:
        best = renditions[-1]
        file, mime_type = best.file, _MIME.get(best.format, "")
    else:
        file = image.file
        mime_type = _MIME_BY_EXT.get(file.name.rsplit(".", 1)[-1].lower(), "")
    if not mime_type:
        return None
    try:
        return file.url, file.size, mime_type
    except (OSError, ValueError):
        return None


class UnitAtomFeed(UnitFeed):
    feed_type = Atom1Feed


class SubtreeFeed(UnitFeed):
    whole_subtree = True


class SubtreeAtomFeed(SubtreeFeed):
    feed_type = Atom1Feed


rss = public_cache()(UnitFeed())
atom = public_cache()(UnitAtomFeed())
rss_all = public_cache()(SubtreeFeed())
atom_all = public_cache()(SubtreeAtomFeed())
