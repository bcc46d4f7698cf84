"""Reads of pages, posts and media, scoped to what a user may see.

``access_*`` answer the same 404 for missing and forbidden rows, so ids cannot be probed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from orgunits.models import OrgUnit
from orgunits.roles import Perm
from orgunits.selectors import UserLike, unit_access_q

from .models import CommunityPage, MediaImage, Post, PostDocument


def may_see_drafts_q(user: UserLike, *, unit_ref: str = "unit__") -> Q:
    """Rows whose unit lies where ``user`` writes content or approves it (approvers hold their
    grant on a higher unit, which covers the unit by the tree)."""
    return unit_access_q(user, Perm.EDIT, unit_ref=unit_ref) | unit_access_q(user, Perm.APPROVE, unit_ref=unit_ref)


def access_post_draft(*, user: UserLike, post_id: int | str) -> Post:
    """The post in any state, if ``user`` may see its drafts: for previews."""
    try:
        pk = int(post_id)
    except (TypeError, ValueError) as exc:
        raise Http404("No such post.") from exc
    post = (
        Post.objects.filter(may_see_drafts_q(user), pk=pk)
        .select_related("page__unit", "unit", "topic", "cover")
        .prefetch_related("tags", "cover__renditions", "documents")
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def access_document(*, user: UserLike, document_id: int) -> PostDocument:
    """A document, if ``user`` may see its post's draft, or if its post is public and the live
    revision was approved with it (a file attached since awaits approval like any edit)."""
    from moderation.revisions import approved_document_ids

    document = PostDocument.objects.filter(pk=document_id).select_related("post", "post__live_revision").first()
    if document is None:
        raise Http404("No such document.")
    if PostDocument.objects.filter(may_see_drafts_q(user, unit_ref="post__unit__"), pk=document_id).exists():
        return document
    if not document.post.is_public or document.pk not in approved_document_ids(document.post.live_revision):
        raise Http404("No such document.")
    return document


def pages_writable_by(*, user: UserLike, perm: str = Perm.EDIT) -> QuerySet[CommunityPage]:
    return CommunityPage.objects.filter(unit_access_q(user, perm, unit_ref="unit__"))


def images_writable_by(*, user: UserLike) -> QuerySet[MediaImage]:
    return MediaImage.objects.filter(unit_access_q(user, Perm.EDIT, unit_ref="unit__"))


def page_for_unit(*, unit: OrgUnit) -> CommunityPage | None:
    return CommunityPage.objects.filter(unit=unit).select_related("avatar", "cover").first()
