"""Writes of the rollout app. A document is written together with its post, through the pages
services (which check the editor's right on the unit); moderation publishes it like any post."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from pages.models import Post, PostDocument, PostStatus
from pages.services import post_document_attach, post_save

from .models import OfficialDocument

#: Once a post is under review or live, the register entry (number, kind, date, addressees) and
#: the file are what was approved: they change only after the post is withdrawn or sent back.
#: (They are not part of the post's revision snapshot, so review could not see a change.) A post
#: that is live is frozen too whatever its working copy's state: the register shows the live
#: post with the entry as it stands.
FROZEN_POST_STATES = frozenset({PostStatus.SUBMITTED, PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHED})
REGISTER_FIELDS = ("number", "kind", "issued_on", "addressed_to_kind")


def _register_changed(document: OfficialDocument) -> bool:
    if document.pk is None:
        return False
    stored = OfficialDocument.objects.filter(pk=document.pk).values(*REGISTER_FIELDS).first() or {}
    return any(stored.get(name) != getattr(document, name) for name in REGISTER_FIELDS)


def official_document_save(
    *,
    document: OfficialDocument,
    post: Post,
    by: AbstractBaseUser | None,
    upload: File | None = None,
    file_title: str = "",
) -> OfficialDocument:
    """Create or update ``document`` and its ``post`` (unsaved or changed) in one transaction.

    ``upload``, when given, becomes the document's file (a verified ``PostDocument`` of the post,
    replacing any earlier one). The post keeps its workflow state; an edit of a submitted or
    live post's content returns it to review (``pages.services.post_save``). Raises
    ``PermissionDenied`` without the edit right on the post's unit, ``ValidationError`` for a
    duplicate number or a change of the register entry or file while the post is frozen.
    """
    # The stored state, not the caller's copy: moderation may have moved the post since it was read.
    stored = Post.objects.filter(pk=post.pk).values_list("status", "live_revision_id").first() if post.pk else None
    frozen = stored is not None and (stored[0] in FROZEN_POST_STATES or stored[1] is not None)
    if frozen and (upload is not None or _register_changed(document)):
        raise ValidationError(
            _("Văn bản đang chờ duyệt hoặc đã đăng: muốn sửa số, loại, ngày hoặc tệp, hãy rút bài trước."),
            code="frozen",
        )
    with transaction.atomic():
        post = post_save(post=post, by=by)
        document.post = post
        document.unit_id = post.unit_id
        document.full_clean(exclude=["post"])
        document.save()
        if upload is not None:
            for old in PostDocument.objects.filter(post=post):
                old.file.delete(save=False)
                old.delete()
            post_document_attach(
                document=PostDocument(post=post, title=file_title or document.number, file=upload), by=by
            )
    return document
