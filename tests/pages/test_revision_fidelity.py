"""What the public sees is exactly what was approved, every part of it.

The cover's description lives in the media library, document titles on their own rows, tag
names in the shared vocabulary: all of them can be edited after approval. The public post page,
the unit pages' cards and the register of documents read them from the live revision; the edit
reaches the public only after a new approval. Publishing refuses content that changed after
approval, and staff pages that render stored HTML sanitise it on output too.
"""

from __future__ import annotations

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from moderation import services as workflow
from moderation.models import AuditEntry, Revision, Submission
from moderation.revisions import content_hash, snapshot_post
from moderation.states import Action
from pages import services
from pages.models import MediaImage, Post, PostDocument, PostStatus, Tag
from tests.moderation.admin_helpers import change_url, post_form_data
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import make_image

pytestmark = pytest.mark.django_db

S = PostStatus
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HOSTILE = (
    '<p>Nội dung hợp lệ</p><script>alert("xss-script")</script>'
    '<img src="/media/a.jpg" onerror="alert(\'xss-onerror\')">'
    '<a href="javascript:alert(\'xss-href\')">liên kết</a><iframe src="https://evil.example/xss-iframe"></iframe>'
)
HOSTILE_MARKERS = ("xss-script", "xss-onerror", "xss-href", "xss-iframe", "<script>alert", "javascript:")


@pytest.fixture(autouse=True)
def _clean_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def approve_and_publish(post: Post, people, capture) -> Post:
    workflow.post_submit(post=post, by=people.editor)
    with capture(execute=True):
        workflow.post_approve(post=post, by=people.approver)
    post = Post.objects.select_related("unit").get(pk=post.pk)
    assert post.status == S.PUBLISHED and post.is_public
    return post


def resubmit_and_publish(client, post: Post, people, capture) -> Post:
    """The editor sends the working copy again (the admin's "Gửi duyệt": save, then submit)."""
    client.force_login(people.editor)
    post = Post.objects.get(pk=post.pk)
    data = post_form_data(post, tags=list(post.tags.values_list("pk", flat=True)), _gui_duyet="1")
    data.update(_documents_management(post))
    assert client.post(change_url(post), data).status_code == 302
    client.logout()
    with capture(execute=True):
        workflow.post_approve(post=post, by=people.approver)
    post = Post.objects.get(pk=post.pk)
    assert post.status == S.PUBLISHED
    return post


def _documents_management(post: Post, titles: dict[int, str] | None = None) -> dict:
    """The document inline of the post form, each existing document under ``titles`` or its own."""
    docs = list(post.documents.order_by("pk"))
    data = {"documents-TOTAL_FORMS": str(len(docs)), "documents-INITIAL_FORMS": str(len(docs))}
    for n, doc in enumerate(docs):
        data[f"documents-{n}-id"] = str(doc.pk)
        data[f"documents-{n}-post"] = str(post.pk)
        data[f"documents-{n}-title"] = (titles or {}).get(doc.pk, doc.title)
    return data


def attach(post: Post, title: str, by=None) -> PostDocument:
    upload = SimpleUploadedFile(f"{title}.pdf", PDF, content_type="application/pdf")
    return services.post_document_attach(document=PostDocument(post=post, title=title, file=upload), by=by)


def public_html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _figcaption_and_alts(html: str) -> str:
    """Every ``alt`` attribute, ``og:image:alt`` content and figure caption of the page."""
    parts = re.findall(r'alt="([^"]*)"', html) + re.findall(r'image:alt" content="([^"]*)"', html)
    parts += re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S)
    return " | ".join(parts)


@pytest.fixture
def covered_post(tree, people) -> Post:
    cover = make_image(tree.dongda, alt="Lễ ra quân tại nhà văn hóa")
    MediaImage.objects.filter(pk=cover.pk).update(caption="Các hộ dân tham gia lễ ra quân")
    return make_post(tree.dongda, people.editor, cover=MediaImage.objects.get(pk=cover.pk))


# --- the cover's description ------------------------------------------------------------------


def test_cover_description_edited_in_the_library_after_approval_stays_as_approved(
    client, tree, people, covered_post, django_capture_on_commit_callbacks
):
    post = approve_and_publish(covered_post, people, django_capture_on_commit_callbacks)
    cover = post.cover
    client.force_login(people.editor)
    response = client.post(
        reverse("admin:pages_mediaimage_change", args=[cover.pk]),
        {"alt_text": "Mô tả chưa được duyệt", "credit": "Ảnh: Nguồn chưa duyệt", "caption": "Chú thích chưa duyệt"},
    )
    assert response.status_code == 302
    cover.refresh_from_db()
    assert cover.alt_text == "Mô tả chưa được duyệt"
    client.logout()

    for url in (post.get_absolute_url(), tree.dongda.get_absolute_url()):
        shown = _figcaption_and_alts(public_html(client, url))
        assert "Lễ ra quân tại nhà văn hóa" in shown, url
        assert "chưa duyệt" not in shown and "chưa được duyệt" not in shown, url
    post_page = public_html(client, post.get_absolute_url())
    assert "Ảnh: H.Nguyệt" in post_page and "Các hộ dân tham gia lễ ra quân" in post_page
    assert "chưa duyệt" not in post_page and "chưa được duyệt" not in post_page

    # The library edit is an edit of reviewed content: the working copy goes back to review,
    # the public keeps the approved revision meanwhile.
    post.refresh_from_db()
    assert post.status == S.DRAFT and post.live_revision.cover_alt_text == "Lễ ra quân tại nhà văn hóa"

    post = resubmit_and_publish(client, post, people, django_capture_on_commit_callbacks)
    for url in (post.get_absolute_url(), tree.dongda.get_absolute_url()):
        shown = _figcaption_and_alts(public_html(client, url))
        assert "Mô tả chưa được duyệt" in shown and "Lễ ra quân tại nhà văn hóa" not in shown, url
    assert "Ảnh: Nguồn chưa duyệt" in public_html(client, post.get_absolute_url())


def test_library_edit_of_an_unused_image_changes_no_post(client, tree, people, post):
    image = make_image(tree.dongda, alt="Ảnh chưa dùng")
    client.force_login(people.editor)
    response = client.post(
        reverse("admin:pages_mediaimage_change", args=[image.pk]),
        {"alt_text": "Ảnh chưa dùng, đã sửa", "credit": "Ảnh: H.Nguyệt", "caption": ""},
    )
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=Action.EDIT).exists()


def test_the_approved_cover_is_read_without_extra_queries(
    client, tree, people, covered_post, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    approve_and_publish(covered_post, people, django_capture_on_commit_callbacks)
    url = tree.dongda.get_absolute_url()
    client.get(url)  # warm the topic menu
    cache.clear()
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200


# --- documents and the register ---------------------------------------------------------------


def test_document_renamed_or_added_after_approval_stays_off_the_public_page(
    client, tree, people, post, django_capture_on_commit_callbacks
):
    approved = attach(post, "Kế hoạch tổ chức Ngày hội", by=people.editor)
    post = approve_and_publish(post, people, django_capture_on_commit_callbacks)

    client.force_login(people.editor)
    data = post_form_data(post)
    data.update(_documents_management(post, {approved.pk: "Tên tài liệu chưa duyệt"}))
    assert client.post(change_url(post), data).status_code == 302
    approved.refresh_from_db()
    assert approved.title == "Tên tài liệu chưa duyệt"
    added = attach(post, "Tài liệu thêm sau khi duyệt", by=people.editor)
    client.logout()

    html = public_html(client, post.get_absolute_url())
    assert "Kế hoạch tổ chức Ngày hội" in html and approved.get_absolute_url() in html
    assert "chưa duyệt" not in html
    assert "Tài liệu thêm sau khi duyệt" not in html and added.get_absolute_url() not in html
    assert client.get(added.get_absolute_url()).status_code == 404

    post = resubmit_and_publish(client, post, people, django_capture_on_commit_callbacks)
    html = public_html(client, post.get_absolute_url())
    assert "Tên tài liệu chưa duyệt" in html and "Tài liệu thêm sau khi duyệt" in html
    assert client.get(added.get_absolute_url()).status_code == 200


def test_register_lists_only_the_attachments_that_were_approved(
    client, tree, people, django_capture_on_commit_callbacks
):
    from rollout.models import OfficialDocument
    from rollout.services import official_document_save

    document = official_document_save(
        document=OfficialDocument(number="15/HD-MTTQ", kind="huong_dan", issued_on=datetime.date(2025, 3, 15),
                                  addressed_to_kind="commune"),
        post=make_post(tree.dongda, people.editor, title="Hướng dẫn vận hành trang cộng đồng"),
        by=people.editor,
        upload=SimpleUploadedFile("Hướng dẫn 15.pdf", PDF, content_type="application/pdf"),
    )
    post = approve_and_publish(document.post, people, django_capture_on_commit_callbacks)
    first = post.documents.get()
    added = attach(post, "Phụ lục thêm sau khi duyệt", by=people.editor)

    listing_url = reverse("documents:list", kwargs={"unit_path": tree.dongda.path})
    for url in (listing_url, document.get_absolute_url()):
        html = public_html(client, url)
        assert first.get_absolute_url() in html, url
        assert added.get_absolute_url() not in html, url
    # A commune sees its district's guidance on its own register, with the same files.
    html = public_html(client, reverse("documents:list", kwargs={"unit_path": tree.vanmieu.path}))
    assert first.get_absolute_url() in html and added.get_absolute_url() not in html

    # The admin's save asks moderation again (documents are saved after the post).
    post = resubmit_and_publish(client, post, people, django_capture_on_commit_callbacks)
    for url in (listing_url, document.get_absolute_url()):
        html = public_html(client, url)
        assert first.get_absolute_url() in html and added.get_absolute_url() in html, url


def test_register_entry_of_a_live_document_stays_fixed_while_its_post_is_edited(
    client, tree, people, django_capture_on_commit_callbacks
):
    """An edit returns the working copy to draft while the post stays live: the register entry
    (number, kind, date) is not in the revision, so it must not change while the post is live."""
    from django.core.exceptions import ValidationError

    from rollout.models import OfficialDocument
    from rollout.services import official_document_save

    document = official_document_save(
        document=OfficialDocument(number="17/HD-MTTQ", kind="huong_dan", issued_on=datetime.date(2025, 3, 15)),
        post=make_post(tree.dongda, people.editor, title="Hướng dẫn số 17"), by=people.editor,
    )
    post = approve_and_publish(document.post, people, django_capture_on_commit_callbacks)
    post.title = "Hướng dẫn số 17 (bản sửa)"
    document = OfficialDocument.objects.get(pk=document.pk)
    official_document_save(document=document, post=post, by=people.editor)
    assert Post.objects.get(pk=post.pk).status == S.DRAFT  # edited, still live
    document = OfficialDocument.objects.get(pk=document.pk)
    document.number = "99/HD-CHUA-DUYET"
    with pytest.raises(ValidationError) as refused:
        official_document_save(document=document, post=Post.objects.get(pk=post.pk), by=people.editor)
    assert refused.value.code == "frozen"
    html = public_html(client, reverse("documents:list", kwargs={"unit_path": tree.dongda.path}))
    assert "17/HD-MTTQ" in html and "99/HD-CHUA-DUYET" not in html and "Hướng dẫn số 17 (bản sửa)" not in html


def test_register_detail_sanitises_the_body_on_output(client, tree, people, django_capture_on_commit_callbacks):
    from rollout.models import OfficialDocument
    from rollout.services import official_document_save

    document = official_document_save(
        document=OfficialDocument(number="16/HD-MTTQ", kind="huong_dan", issued_on=datetime.date(2025, 3, 15)),
        post=make_post(tree.dongda, people.editor, title="Hướng dẫn số 16"), by=people.editor,
    )
    post = approve_and_publish(document.post, people, django_capture_on_commit_callbacks)
    Revision.objects.filter(pk=post.live_revision_id).update(body=HOSTILE)
    html = public_html(client, document.get_absolute_url())
    assert "Nội dung hợp lệ" in html
    for marker in HOSTILE_MARKERS:
        assert marker not in html


# --- tags -------------------------------------------------------------------------------------


def test_tag_renamed_after_approval_shows_its_approved_name(client, tree, people, post, django_capture_on_commit_callbacks):
    tag = Tag.objects.create(name="Ngày hội Đại đoàn kết")
    post.tags.set([tag])
    post = approve_and_publish(post, people, django_capture_on_commit_callbacks)
    tag.name = "Tên thẻ chưa duyệt"
    tag.save()
    html = public_html(client, post.get_absolute_url())
    assert "#Ngày hội Đại đoàn kết" in html and "Tên thẻ chưa duyệt" not in html


# --- the refusal at publish time -----------------------------------------------------------------


def _scheduled(post: Post, people, capture) -> tuple[Post, datetime.datetime]:
    later = timezone.now() + datetime.timedelta(hours=2)
    workflow.post_submit(post=post, by=people.editor)
    with capture(execute=True):
        workflow.post_approve(post=post, by=people.approver, publish_at=later)
    post.refresh_from_db()
    assert post.status == S.SCHEDULED and post.live_revision is None
    return post, later


def _change_title(post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(title="Tiêu đề chưa được duyệt")


def _change_cover_alt(post: Post) -> None:
    MediaImage.objects.filter(pk=post.cover_id).update(alt_text="Mô tả chưa được duyệt")


def _rename_document(post: Post) -> None:
    PostDocument.objects.filter(post=post).update(title="Tên tài liệu chưa được duyệt")


def _add_document(post: Post) -> None:
    attach(post, "Tài liệu chưa được duyệt")


@pytest.mark.parametrize("change", [_change_title, _change_cover_alt, _rename_document, _add_document])
def test_publishing_refuses_content_changed_after_approval(
    client, tree, people, covered_post, change, django_capture_on_commit_callbacks
):
    """Writes that go around ``post_content_changed`` (a queryset update, a service that does
    not ask moderation): the scheduled publication compares the post with what was approved."""
    attach(covered_post, "Kế hoạch tổ chức Ngày hội", by=people.editor)
    post, later = _scheduled(covered_post, people, django_capture_on_commit_callbacks)
    change(post)

    assert workflow.post_publish(post_id=post.pk, now=later + datetime.timedelta(minutes=1)) is False
    post.refresh_from_db()
    assert post.status == S.DRAFT and post.live_revision is None and post.published_at is None
    refusal = AuditEntry.objects.get(post=post, action=Action.PUBLISH_REFUSED)
    assert (refusal.from_state, refusal.to_state) == (S.SCHEDULED, S.DRAFT)
    assert client.get(post.get_absolute_url()).status_code == 404
    assert workflow.due_post_ids(now=later + datetime.timedelta(minutes=2)) == []


def test_publishing_unchanged_content_goes_live(client, people, covered_post, django_capture_on_commit_callbacks):
    """The other side of the refusal: the comparison does not refuse what was approved."""
    attach(covered_post, "Kế hoạch tổ chức Ngày hội", by=people.editor)
    post, later = _scheduled(covered_post, people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.post_publish(post_id=post.pk, now=later + datetime.timedelta(minutes=1)) is True
    post.refresh_from_db()
    assert post.status == S.PUBLISHED and post.live_revision.number == 1
    assert not AuditEntry.objects.filter(post=post, action=Action.PUBLISH_REFUSED).exists()


# --- staff pages sanitise stored HTML on output -------------------------------------------------


def test_preview_does_not_emit_hostile_html_stored_around_the_sanitiser(client, people, post):
    Post.objects.filter(pk=post.pk).update(body=HOSTILE)
    client.force_login(people.editor)
    response = client.get(reverse("admin:pages_post_preview", args=[post.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nội dung hợp lệ" in html
    for marker in HOSTILE_MARKERS:
        assert marker not in html


def test_review_page_does_not_emit_hostile_html_stored_around_the_sanitiser(client, people, post):
    submission = workflow.post_submit(post=post, by=people.editor)
    revision = submission.revision
    Revision.objects.filter(pk=revision.pk).update(body=HOSTILE, content={**revision.content, "body": HOSTILE})
    client.force_login(people.approver)
    response = client.get(reverse("admin:moderation_submission_decide", args=[submission.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nội dung hợp lệ" in html
    for marker in HOSTILE_MARKERS:
        assert marker not in html


def test_revision_comparison_does_not_emit_hostile_html(client, people, post, django_capture_on_commit_callbacks):
    """The review page's comparison with the last approved revision shows text, not markup."""
    post = approve_and_publish(post, people, django_capture_on_commit_callbacks)
    post.title = "Ra quân hưởng ứng Ngày hội (bản sửa)"
    services.post_save(post=post, by=people.editor)
    submission = workflow.post_submit(post=Post.objects.get(pk=post.pk), by=people.editor)
    revision = submission.revision
    Revision.objects.filter(pk=revision.pk).update(content={**revision.content, "body": HOSTILE})
    client.force_login(people.approver)
    html = client.get(reverse("admin:moderation_submission_decide", args=[submission.pk])).content.decode()
    assert 'class="diff"' in html
    for marker in ("<script>alert", "onerror=", "<iframe"):
        assert marker not in html


def test_bodies_are_sanitised_when_saved(tree, people):
    """The first guard: what is stored has already been through the allow-list."""
    post = make_post(tree.dongda, people.editor, body=HOSTILE)
    stored = Post.objects.values_list("body", flat=True).get(pk=post.pk)
    assert "Nội dung hợp lệ" in stored
    for marker in HOSTILE_MARKERS:
        assert marker not in stored
    submission = workflow.post_submit(post=post, by=people.editor)
    assert "<script" not in submission.revision.body and "<script" not in submission.revision.content["body"]


# --- the data migration -------------------------------------------------------------------------


def test_migration_fills_the_cover_text_of_existing_revisions(people, covered_post, django_capture_on_commit_callbacks):
    post = approve_and_publish(covered_post, people, django_capture_on_commit_callbacks)
    revision = post.live_revision
    old_content = {k: v for k, v in revision.content.items() if k != "cover"}
    Revision.objects.filter(pk=revision.pk).update(
        cover_alt_text="", cover_caption="", cover_credit="", content=old_content, content_hash="old-shape"
    )
    migration = importlib.import_module("moderation.migrations.0005_revision_cover_text")
    migration.fill_cover_text(apps, None)
    migration.fill_cover_text(apps, None)  # twice: the second run finds nothing to do

    revision.refresh_from_db()
    assert (revision.cover_alt_text, revision.cover_caption, revision.cover_credit) == (
        "Lễ ra quân tại nhà văn hóa", "Các hộ dân tham gia lễ ra quân", "Ảnh: H.Nguyệt",
    )
    assert revision.content["cover"]["alt_text"] == "Lễ ra quân tại nhà văn hóa"
    # The unchanged working copy still matches: a save without changes keeps the post live.
    assert revision.content_hash == content_hash(snapshot_post(Post.objects.get(pk=post.pk)))
    services.post_save(post=Post.objects.get(pk=post.pk), by=people.editor)
    assert Post.objects.get(pk=post.pk).status == S.PUBLISHED
    assert Submission.objects.filter(post=post, state=Submission.State.APPROVED).count() == 1
