"""Run the information regulation's rules on a post: the bridge from ``Post`` to the engine."""

from __future__ import annotations

from orgunits.managers import interval_q
from orgunits.models import OrgUnit
from pages.models import Post
from vietfront.precompiled import Precompiled
from vietfront.text import search_key

from .rules import ContentForReview, ImageRef, load_context, run_rules


def content_for_review(post: Post, *, documents: list[list] | None = None) -> ContentForReview:
    """``documents``: the post's ``[pk, title]`` pairs in their order, when the caller has them."""
    images = []
    if post.cover_id:
        cover = post.cover
        images.append(ImageRef(alt=cover.alt_text, credit=cover.credit, caption=cover.caption, src=cover.file.name))
    return ContentForReview(
        title=post.title,
        summary=post.summary,
        body_html=post.body,
        topic_id=post.topic_id,
        topic_name=post.topic.name if post.topic_id else "",
        source_kind=post.source_kind,
        source_name=post.source_name,
        source_url=post.source_url,
        author_line=post.author_line,
        photo_credit=post.photo_credit,
        images=images,
        documents=[(title, "") for _pk, title in (documents if documents is not None else post_documents(post))],
        unit_id=post.unit_id,
        post_id=post.pk,
    )


def post_documents(post: Post) -> list[list]:
    """The post's documents as ``[pk, title]`` pairs, in the order the editor sees them."""
    return [[pk, title] for pk, title in post.documents.values_list("pk", "title")] if post.pk else []


def _duplicate_finder(post: Post, scope: OrgUnit):
    """Live posts with the same title in ``scope``'s subtree.

    Found by ``title_key`` (an indexed column; a case-insensitive match on ``title`` alone was a
    scan of every post), then held to the same title but for case, as before: titles that differ
    only by tone marks are different words.
    """

    def find(content: ContentForReview):
        same_key = _DUPLICATES.list(tree_id=scope.tree_id, lft=scope.lft, rght=scope.rght, post_id=post.pk or 0,
                                    title_key=search_key(content.title))
        # The same title but for case, compared here as PostgreSQL's ``iexact`` would (SQLite's
        # folds ASCII only): the key already matched, so these are the few that differ by marks.
        title = content.title.upper()
        return [(m.title, m.get_absolute_url()) for m in same_key if m.title.upper() == title][:5]

    return find


#: Titles sharing a key read to tell them apart by marks; more than this many live variants of
#: one title in a subtree is not a case the rule needs to list in full.
SAME_KEY_LIMIT = 50


def _duplicates(*, tree_id: int, lft: int, rght: int, post_id: int, title_key: str):
    return (
        Post.objects.filter(interval_q(tree_id, lft, rght, "unit__"))
        .filter(live_revision__isnull=False, title_key=title_key)
        .exclude(pk=post_id)
        .select_related("unit")  # the address needs the unit's path: not a query per match
        .only("pk", "title", "slug", "page_id", "unit_id", "unit__path")
        .order_by("pk")[:SAME_KEY_LIMIT]
    )


#: Run on every submission and approval: compiled once, prepared once per connection.
_DUPLICATES = Precompiled(_duplicates)


def review_post(post: Post, *, approving_unit: OrgUnit, documents: list[list] | None = None) -> list[dict]:
    """Every finding of every rule on ``post``, JSON-ready (stored with the submission).

    ``approving_unit`` (the caller has it already) bounds the search for duplicates;
    ``documents`` as ``post_documents`` reads them, when the caller needs them too.
    """
    context = load_context(find_duplicates=_duplicate_finder(post, approving_unit))
    return run_rules(content_for_review(post, documents=documents), context=context).as_dicts()
