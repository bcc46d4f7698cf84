"""The staff workspace through HTTP: the inbox per role (a user with roles in two provinces
included) in a constant number of queries, the review page showing every part the public
will see, complete history lines, people by their Vietnamese names, absolute links in mails."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from moderation import services
from moderation.models import AuditEntry, Submission, TakedownRequest
from moderation.states import Action
from pages import services as page_services
from pages.media import process_image
from pages.models import PostDocument
from tests.moderation.test_queue_admin import pending
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import image_bytes

pytestmark = pytest.mark.django_db

INBOX = "admin:moderation_inbox"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SITE = "https://trang.mattran.example.vn"


@pytest.fixture(autouse=True)
def _media_and_site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VIETFRONT_SITE_URL = SITE


def named(user, last: str, first: str):
    """Họ in last_name, Tên in first_name, as Django's Vietnamese user form labels them."""
    user.last_name, user.first_name = last, first
    user.save(update_fields=["last_name", "first_name"])
    return user


def decide_url(submission) -> str:
    return reverse("admin:moderation_submission_decide", args=[submission.pk])


def image(unit, *, alt: str, credit: str):
    return page_services.media_image_create(
        unit=unit, image=process_image(io.BytesIO(image_bytes(size=(640, 480)))), alt_text=alt, credit=credit, by=None,
    )


def inbox_titles(response, section: str) -> list[str]:
    items = getattr(response.context["inbox"], section).items
    return [i.revision.title if isinstance(i, Submission) else i.post.title for i in items]


# --- people by their names ------------------------------------------------------------------


def test_greeting_uses_the_given_name_and_the_queue_the_full_name(client, tree, people):
    named(people.approver, "Lê Minh", "Duyệt")
    named(people.editor, "Phạm Thu", "Trang")
    pending(tree.dongda, people.editor, 1, approving_unit=tree.hanoi)

    client.force_login(people.approver)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Chào <strong>Duyệt</strong>" in page
    queue = client.get(reverse("admin:moderation_submission_changelist")).content.decode()
    assert "Phạm Thu Trang" in queue
    assert "bientap.dongda" not in queue

    # Without a name on record, the username stands in.
    client.force_login(people.other_approver)
    assert "Chào <strong>duyet.bacninh</strong>" in client.get(reverse("admin:index")).content.decode()


# --- the review page ------------------------------------------------------------------------


def test_review_page_shows_cover_body_images_attachments_and_button_styled_decisions(client, tree, people):
    cover = image(tree.dongda, alt="Người dân dự Ngày hội Đại đoàn kết", credit="Ảnh: H.Nguyệt")
    inline = image(tree.dongda, alt="Lễ ra quân tại nhà văn hóa", credit="Ảnh: Minh Anh")
    post = make_post(
        tree.dongda, people.editor, cover=cover,
        body=f'<p>Đoạn mở đầu.</p><figure><img src="{inline.file.url}" alt="{inline.alt_text}"></figure>',
    )
    page_services.post_document_attach(
        document=PostDocument(post=post, title="Kế hoạch tổ chức Ngày hội", file=SimpleUploadedFile("ke-hoach.pdf", PDF)),
        by=people.editor,
    )
    services.post_submit(post=post, by=people.editor)
    submission = Submission.objects.get(post=post, state="pending")

    client.force_login(people.approver)
    response = client.get(decide_url(submission))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'src="{cover.file.url}"' in page and 'alt="Người dân dự Ngày hội Đại đoàn kết"' in page
    assert "Ảnh: H.Nguyệt" in page
    assert f'src="{inline.file.url}"' in page and "Lễ ra quân tại nhà văn hóa" in page and "Ảnh: Minh Anh" in page
    document = post.documents.get()
    assert f'href="{document.get_absolute_url()}"' in page and "Kế hoạch tổ chức Ngày hội" in page
    assert 'class="button default vf-approve"' in page and 'class="button vf-send-back"' in page

    # The description shown is the one submitted: a later edit in the media library is not it.
    cover.alt_text, cover.credit = "Mô tả sửa sau khi gửi", "Ảnh: người khác"
    cover.save()
    page = client.get(decide_url(submission)).content.decode()
    assert "Người dân dự Ngày hội Đại đoàn kết" in page and "Mô tả sửa sau khi gửi" not in page


def test_review_page_is_404_outside_the_subtree(client, tree, people):
    submission = pending(tree.dongda, people.editor, 1, approving_unit=tree.hanoi)[0]
    client.force_login(people.other_approver)
    assert client.get(decide_url(submission)).status_code == 404


def test_history_line_of_a_blocked_submission_is_complete(client, tree, people):
    named(people.editor, "Phạm Thu", "Trang")
    post = make_post(tree.dongda, people.editor, source_name="")
    with pytest.raises(services.RegulationBlocked):
        services.post_submit(post=post, by=people.editor)
    assert AuditEntry.objects.filter(post=post, action=Action.RULES_BLOCKED, to_state="").exists()
    post.source_name = "Ủy ban MTTQ quận Đống Đa"
    page_services.post_save(post=post, by=people.editor)
    submission = services.post_submit(post=post, by=people.editor)

    client.force_login(people.approver)
    page = client.get(decide_url(submission)).content.decode()
    lines = re.findall(r"<li><time>.*?</li>", page, re.S)
    assert any("Phạm Thu Trang: Quy chế chặn (giữ nguyên: Bản nháp)" in line for line in lines), lines
    assert any("Phạm Thu Trang: Gửi duyệt (Bản nháp → Đã gửi duyệt)" in line for line in lines), lines
    assert not any("→ )" in line for line in lines)

    # The audit log says the same.
    log = client.get(reverse("admin:moderation_auditentry_changelist")).content.decode()
    assert "giữ nguyên: Bản nháp" in log and "→ </td>" not in log


# --- the inbox ------------------------------------------------------------------------------


@pytest.fixture
def two_provinces(tree):
    """Approver in Hà Nội and editor in Bắc Ninh."""
    user = get_user_model().objects.create_user("hai.tinh", password="pw", is_staff=True)
    assign_perm("orgunits.approve_content", user, tree.hanoi)
    assign_perm("orgunits.edit_content", user, tree.bacninh)
    return user


def _decided_post(unit, author, approver, *, title: str, send_back: bool):
    post = make_post(unit, author, title=title)
    services.post_submit(post=post, by=author)
    if send_back:
        services.post_send_back(post=post, by=approver, reason="Bổ sung nguồn ảnh")
    else:
        services.post_approve(post=post, by=approver, publish_at=timezone.now() + datetime.timedelta(days=1))
    return post


def _takedown(post, by, requester: str) -> TakedownRequest:
    return services.takedown_request_record(
        post=post, source=TakedownRequest.Source.COMPLAINT, requester=requester, reason="Khiếu nại",
        received_at=timezone.now() - datetime.timedelta(hours=1), by=by,
    )


@pytest.fixture
def workload(tree, people, two_provinces, django_capture_on_commit_callbacks):
    """Pending in Hà Nội and in Bắc Ninh; decisions on the two-province user's Bắc Ninh post and
    on the Đống Đa editor's; a takedown clock running in each province."""
    start = timezone.now() - datetime.timedelta(days=1)
    hanoi = pending(tree.dongda, people.editor, 2, approving_unit=tree.hanoi, start=start)
    bacninh = pending(tree.tpbacninh, people.editor, 1, approving_unit=tree.bacninh, start=start)
    # Their own submission: in Hà Nội's queue, but not theirs to decide.
    own = pending(tree.badinh, two_provinces, 1, approving_unit=tree.hanoi, start=start + datetime.timedelta(hours=1))
    editor_bacninh = get_user_model().objects.create_user("bientap.bacninh", password="pw", is_staff=True)
    assign_perm("orgunits.edit_content", editor_bacninh, tree.tpbacninh)
    with django_capture_on_commit_callbacks(execute=True):
        _decided_post(tree.tpbacninh, two_provinces, people.other_approver,
                      title="Hội nghị điển hình tiên tiến Bắc Ninh", send_back=True)
        _decided_post(tree.dongda, people.editor, people.approver,
                      title="Ra quân Ngày hội Đại đoàn kết", send_back=False)
        live = {}
        for unit, editor, approver, title in (
            (tree.dongda, people.editor, people.approver, "Tin đã đăng ở Đống Đa"),
            (tree.tpbacninh, editor_bacninh, people.other_approver, "Tin đã đăng ở Bắc Ninh"),
        ):
            live[unit.pk] = make_post(unit, editor, title=title)
            services.post_submit(post=live[unit.pk], by=editor)
            services.post_approve(post=live[unit.pk], by=approver)
    return {
        "hanoi": hanoi, "bacninh": bacninh, "own": own,
        "takedown_hanoi": _takedown(live[tree.dongda.pk], people.approver, "Sở Thông tin và Truyền thông Hà Nội"),
        "takedown_bacninh": _takedown(live[tree.tpbacninh.pk], people.other_approver, "Công an tỉnh Bắc Ninh"),
    }


def test_inbox_of_the_two_province_user_keeps_each_role_to_its_province(client, tree, people, two_provinces, workload):
    client.force_login(two_provinces)
    response = client.get(reverse(INBOX))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    # Approver in Hà Nội: Hà Nội's pending, not Bắc Ninh's, not the one they submitted themselves.
    assert inbox_titles(response, "to_decide") == [s.revision.title for s in workload["hanoi"]]
    # Editor in Bắc Ninh: the decision on their own post there.
    assert inbox_titles(response, "decided") == ["Hội nghị điển hình tiên tiến Bắc Ninh"]
    # Takedown clocks run for the province they approve for only.
    assert inbox_titles(response, "takedowns") == ["Tin đã đăng ở Đống Đa"]
    page = response.content.decode()
    assert "Bổ sung nguồn ảnh" in page and "Trả lại" in page
    assert reverse("admin:moderation_takedownrequest_change", args=[workload["takedown_hanoi"].pk]) in page
    assert "Công an tỉnh Bắc Ninh" not in page


def test_inbox_per_role(client, tree, people, workload):
    client.force_login(people.approver)  # Hà Nội
    response = client.get(reverse(INBOX))
    assert inbox_titles(response, "to_decide") == [s.revision.title for s in workload["hanoi"] + workload["own"]]
    assert inbox_titles(response, "decided") == []
    assert inbox_titles(response, "takedowns") == ["Tin đã đăng ở Đống Đa"]

    client.force_login(people.editor)  # Đống Đa: decides nothing, hears about their posts
    response = client.get(reverse(INBOX))
    assert inbox_titles(response, "to_decide") == []
    assert inbox_titles(response, "decided") == ["Tin đã đăng ở Đống Đa", "Ra quân Ngày hội Đại đoàn kết"]
    assert inbox_titles(response, "takedowns") == []
    # An editor whose role was revoked no longer reads those posts' titles there.
    remove_perm("orgunits.edit_content", people.editor, tree.dongda)
    assert inbox_titles(client.get(reverse(INBOX)), "decided") == []

    client.force_login(people.other_approver)  # Bắc Ninh
    response = client.get(reverse(INBOX))
    assert inbox_titles(response, "to_decide") == [s.revision.title for s in workload["bacninh"]]
    assert inbox_titles(response, "takedowns") == ["Tin đã đăng ở Bắc Ninh"]

    client.force_login(people.superuser)
    response = client.get(reverse(INBOX))
    assert response.context["inbox"].to_decide.count == 4
    assert response.context["inbox"].takedowns.count == 2


def test_admin_index_shows_the_inbox_counts(client, tree, people, two_provinces, workload):
    client.force_login(two_provinces)
    page = client.get(reverse("admin:index")).content.decode()
    summary = page[page.index('id="viec-cua-toi"'):]
    counts = re.findall(r'class="vf-count[^"]*">(\d+)</span>', summary)[:3]
    assert counts == ["2", "1", "1"]


def test_inbox_refuses_anonymous_and_non_staff(client, tree):
    response = client.get(reverse(INBOX))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    plain = get_user_model().objects.create_user("cong.dan", password="pw")
    client.force_login(plain)
    response = client.get(reverse(INBOX))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_inbox_and_index_queries_do_not_grow_with_rows_or_grants(client, tree, people, two_provinces,
                                                                 django_assert_max_num_queries):
    client.force_login(two_provinces)
    pending(tree.dongda, people.editor, 1, approving_unit=tree.hanoi)
    small = _queries(client, reverse(INBOX)), _queries(client, reverse("admin:index"))

    pending(tree.dongda, people.editor, 30, approving_unit=tree.hanoi)
    pending(tree.badinh, people.editor, 30, approving_unit=tree.hanoi)
    for unit in (tree.vanmieu, tree.langthuong, tree.phucxa, tree.vuninh, tree.dongda, tree.badinh):
        assign_perm("orgunits.approve_content", two_provinces, unit)
        assign_perm("orgunits.edit_content", two_provinces, unit)
    large = _queries(client, reverse(INBOX)), _queries(client, reverse("admin:index"))
    assert small == large
    # Session and user, 3 grant reads and 6 reads for the sections, the menu's permission checks.
    with django_assert_max_num_queries(16):
        client.get(reverse(INBOX))


# --- mails ----------------------------------------------------------------------------------


def _bare_paths(body: str) -> list[str]:
    """Paths in a mail not preceded by the site's address."""
    return [m.group(0) for m in re.finditer(r"(?<![\w.:/-])/(?:quan-tri|ha-noi|bai-viet)[^\s]*", body)]


def test_mails_carry_absolute_links(tree, people, post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.post_submit(post=post, by=people.editor)
    to_approver = next(m for m in mail.outbox if people.approver.email in m.to)
    assert f"{SITE}{decide_url(submission)}" in to_approver.body
    assert _bare_paths(to_approver.body) == []

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver)
    decided = next(m for m in mail.outbox if people.editor.email in m.to)
    assert f"{SITE}{reverse('admin:pages_post_change', args=[post.pk])}" in decided.body
    assert all(_bare_paths(m.body) == [] for m in mail.outbox)

    # The publication mail, once published, links the public page.
    published = [m for m in mail.outbox if "[Đã đăng]" in m.subject]
    post.refresh_from_db()
    for message in published:
        assert f"{SITE}{post.get_absolute_url()}" in message.body


def test_every_admin_page_shows_how_many_submissions_wait_for_the_user(client, tree, people):
    """The badge beside "Việc của tôi": the approver's pending count, their own posts left out;
    no badge for an editor, nor for an approver with nothing waiting."""
    for n in range(2):
        services.post_submit(post=make_post(tree.dongda, people.editor, title=f"Bài chờ duyệt số {n}"), by=people.editor)
    badge = re.compile(r'class="vf-inbox-link">[^<]*<span class="vf-badge[^"]*" title="[^"]*">(\d+)</span>')
    client.force_login(people.approver)
    for url in (reverse("admin:index"), reverse("admin:pages_post_changelist")):
        assert badge.findall(client.get(url).content.decode()) == ["2"], url
    for user in (people.editor, people.other_approver):
        client.force_login(user)
        assert badge.findall(client.get(reverse("admin:index")).content.decode()) == []
