"""Run the information regulation's rules on a post: the bridge from ``Post`` to the engine."""

from __future__ import annotations

from orgunits.models import OrgUnit
from pages.models import Post
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
        matches = (
            Post.objects.in_subtree(scope)
            .filter(live_revision__isnull=False, title_key=search_key(content.title), title__iexact=content.title)
            .exclude(pk=post.pk)
            .select_related("unit")  # the address needs the unit's path: not a query per match
            .only("pk", "title", "slug", "page_id", "unit_id", "unit__path")[:5]
        )
        return [(m.title, m.get_absolute_url()) for m in matches]

    return find


def review_post(post: Post, *, approving_unit: OrgUnit, documents: list[list] | None = None) -> list[dict]:
    """Every finding of every rule on ``post``, JSON-ready (stored with the submission).

    ``approving_unit`` (the caller has it already) bounds the search for duplicates;
    ``documents`` as ``post_documents`` reads them, when the caller needs them too.
    """
    context = load_context(find_duplicates=_duplicate_finder(post, approving_unit))
    return run_rules(content_for_review(post, documents=documents), context=context).as_dicts()
