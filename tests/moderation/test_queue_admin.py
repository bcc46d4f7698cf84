"""The approvers' queue through HTTP: scoped to the approver's subtree, oldest first, filters,
constant query count, decisions (approve now or later, send back with a reason), refusals, and
never cached."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation import services
from moderation.models import AuditEntry, Revision, Submission
from moderation.revisions import content_hash, snapshot_post
from pages.models import Post, PostStatus, Topic
from pages.services import page_create
from tests.moderation.admin_helpers import messages_of
from tests.moderation.workflow_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

S = PostStatus
QUEUE = "admin:moderation_submission_changelist"


def decide_url(submission) -> str:
    return reverse("admin:moderation_submission_decide", args=[submission.pk])


def pending(unit, author, n: int, *, approving_unit, start: datetime.datetime | None = None, topic=None) -> list[Submission]:
    """``n`` submitted posts of ``unit`` in a handful of queries (bulk inserts), submitted one
    minute apart from ``start``: what ``post_submit`` leaves, without running the rules n times."""
    page = getattr(unit, "page", None) or page_create(unit=unit, by=None)
    topic = topic or Topic.objects.order_by("order").first()
    start = start or timezone.now() - datetime.timedelta(days=1)
    stamp = start.strftime("%H%M%S%f")
    posts = Post.objects.bulk_create([
        Post(page=page, unit=unit, title=f"Tin hoạt động số {i} ({stamp})", slug=f"tin-{stamp}-{i}",
             summary="Tóm tắt", body="<p>Nội dung</p>", topic=topic, source_name="MTTQ", status=S.SUBMITTED,
             created_by=author)
        for i in range(n)
    ])
    revisions = Revision.objects.bulk_create([
        Revision(post=p, number=1, title=p.title, summary=p.summary, body=p.body, topic=topic,
                 content=snapshot_post(p), content_hash=content_hash(snapshot_post(p)), created_by=author)
        for p in posts
    ])
    submissions = Submission.objects.bulk_create([
        Submission(post=p, revision=r, approving_unit=approving_unit, submitted_by=author)
        for p, r in zip(posts, revisions, strict=True)
    ])
    for i, s in enumerate(submissions):  # auto_now_add ignores a given value: set times after
        Submission.objects.filter(pk=s.pk).update(submitted_at=start + datetime.timedelta(minutes=i))
    return submissions


def titles(response) -> list[str]:
    return [s.revision.title for s in response.context["cl"].result_list]


def test_queue_shows_only_the_subtree_oldest_first(client, tree, people):
    now = timezone.now()
    hanoi = pending(tree.dongda, people.editor, 3, approving_unit=tree.hanoi, start=now - datetime.timedelta(hours=5))
    # Older than Hà Nội's, in Bắc Ninh: must not appear for Hà Nội, and must appear first for Bắc Ninh.
    bacninh = pending(tree.tpbacninh, people.editor, 2, approving_unit=tree.bacninh, start=now - datetime.timedelta(days=3))

    client.force_login(people.other_approver)
    response = client.get(reverse(QUEUE))
    assert response.status_code == 200
    assert titles(response) == [s.revision.title for s in bacninh]
    assert "no-store" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    for submission in hanoi:
        assert client.get(decide_url(submission)).status_code == 404
        assert client.post(decide_url(submission), {"decision": "approve", "publish": "now"}).status_code == 404
    assert Submission.objects.filter(state="pending").count() == 5

    client.force_login(people.approver)
    response = client.get(reverse(QUEUE))
    assert titles(response) == [s.revision.title for s in hanoi]


def test_queue_filters_by_unit_kind_and_topic(client, tree, people):
    topics = list(Topic.objects.order_by("order")[:2])
    dongda = pending(tree.dongda, people.editor, 2, approving_unit=tree.hanoi, topic=topics[0])
    vanmieu = pending(tree.vanmieu, people.editor, 1, approving_unit=tree.dongda, topic=topics[1])
    client.force_login(people.approver)
    url = reverse(QUEUE)
    assert len(titles(client.get(url))) == 3
    assert titles(client.get(url, {"don_vi": tree.vanmieu.pk})) == [vanmieu[0].revision.title]
    assert set(titles(client.get(url, {"don_vi": tree.dongda.pk}))) == {s.revision.title for s in dongda + vanmieu}
    assert titles(client.get(url, {"don_vi": tree.bacninh.pk})) == []  # outside the approver's scope
    assert titles(client.get(url, {"unit_kind": "commune"})) == [vanmieu[0].revision.title]
    assert titles(client.get(url, {"post__topic__id__exact": topics[0].pk})) == [s.revision.title for s in dongda]


@pytest.mark.parametrize("url_name", [QUEUE, "admin:pages_post_changelist"])
def test_the_topic_filter_offers_every_topic_in_the_regulations_order(client, tree, people, url_name):
    from django.contrib.admin.filters import RelatedFieldListFilter

    Topic.objects.filter(pk=Topic.objects.order_by("order", "name").last().pk).update(is_active=False, order=0)
    client.force_login(people.approver)
    response = client.get(reverse(url_name))
    (topic_filter,) = [f for f in response.context["cl"].filter_specs if isinstance(f, RelatedFieldListFilter)]
    expected = [(t.pk, t.name) for t in Topic.objects.order_by("order", "name")]  # a retired one too
    assert topic_filter.lookup_choices == expected and len(expected) > 1


def _queue_queries(client, django_assert_max_num_queries, limit: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(limit):
        response = client.get(reverse(QUEUE))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow(client, tree, people, django_assert_max_num_queries):
    pending(tree.dongda, people.editor, 5, approving_unit=tree.hanoi)
    client.force_login(people.approver)
    few = _queue_queries(client, django_assert_max_num_queries, 25)
    pending(tree.badinh, people.other_editor, 115, approving_unit=tree.hanoi)
    many = _queue_queries(client, django_assert_max_num_queries, 25)
    assert many == few


def test_queue_rows_are_the_ones_djangos_changelist_would_write(client, tree, people):
    """The page's rows (read as tuples into light rows) are what Django's changelist writes for
    the submissions themselves, read as model instances: title, unit, topic, date, submitter,
    warnings and state."""
    from django.contrib.admin.templatetags.admin_list import items_for_result

    topic = Topic.objects.order_by("order").first()
    made = pending(tree.dongda, people.editor, 2, approving_unit=tree.hanoi, topic=topic)
    made += pending(tree.vanmieu, people.other_editor, 1, approving_unit=tree.hanoi)
    Submission.objects.filter(pk=made[0].pk).update(findings=[{"severity": "warn", "code": "x"}])
    people.editor.first_name, people.editor.last_name = "Lan", "Nguyễn Thị"
    people.editor.save()
    client.force_login(people.approver)
    response = client.get(reverse(QUEUE))
    body, cl = response.content.decode(), response.context["cl"]
    submissions = Submission.objects.filter(pk__in=[s.pk for s in made]).select_related(
        "revision", "post__unit", "post__topic", "submitted_by")
    rows = ["<tr>" + "".join(items_for_result(cl, s, None)) + "</tr>" for s in submissions]
    assert len(rows) == 3
    assert all(row in body for row in rows), rows
    assert body.count('<td class="field-post_column">') == 3
    assert "Nguyễn Thị Lan" in body and topic.name in body


def test_queue_rows_hold_hostile_titles_units_and_names_as_text(client, tree, people):
    from orgunits.models import OrgUnit

    hostile = '<img src=x onerror=alert(1)>"&'
    OrgUnit.objects.filter(pk=tree.dongda.pk).update(name=f"Quận {hostile}")
    people.editor.first_name, people.editor.last_name = hostile, "Lan"
    people.editor.save()
    [submission] = pending(tree.dongda, people.editor, 1, approving_unit=tree.hanoi)
    Revision.objects.filter(pk=submission.revision_id).update(title=f"Tin {hostile}")
    client.force_login(people.approver)
    body = client.get(reverse(QUEUE)).content.decode()
    escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;"
    assert f"Tin {escaped}</a>" in body
    assert f"Quận {escaped} · " in body
    assert body.count(escaped) >= 3  # the title, the unit, the submitter
    assert "<img src=x" not in body


def test_queue_sorted_by_a_column_keeps_that_order_on_the_page(client, tree, people):
    made = pending(tree.dongda, people.editor, 4, approving_unit=tree.hanoi)
    client.force_login(people.approver)
    newest_first = titles(client.get(reverse(QUEUE), {"o": "-1"}))  # the "gửi lúc" column, descending
    assert newest_first == [s.revision.title for s in reversed(made)]
    by_title = titles(client.get(reverse(QUEUE), {"o": "-0"}))
    assert by_title == sorted(by_title, reverse=True) and len(by_title) == 4


def test_the_header_badge_leaves_out_the_approvers_own_on_the_whole_and_a_filtered_queue(client, tree, people):
    """On the whole queue the badge comes out of the list's own count: the two must still
    differ by the approver's own submissions, and a filtered or searched list must not shrink
    the badge to what it shows."""
    import re

    from guardian.shortcuts import assign_perm

    assign_perm("orgunits.edit_content", people.approver, tree.dongda)
    pending(tree.dongda, people.editor, 3, approving_unit=tree.hanoi)
    pending(tree.vanmieu, people.editor, 2, approving_unit=tree.dongda)
    pending(tree.dongda, people.approver, 1, approving_unit=tree.hanoi)  # their own: not to decide
    badge = re.compile(r'class="vf-inbox-link">[^<]*<span class="vf-badge[^"]*" title="[^"]*">(\d+)</span>')
    client.force_login(people.approver)
    for query, listed in (({}, 6), ({"p": "1"}, 6), ({"unit_kind": "commune"}, 2), ({"q": "khong co bai nao"}, 0),
                          ({"state": "all"}, 6)):
        response = client.get(reverse(QUEUE), query)
        assert response.context["cl"].result_count == listed, query
        assert badge.findall(response.content.decode()) == ["5"], query


def test_queue_search_matches_titles_word_by_word_without_tone_marks(client, tree, people,
                                                                     django_assert_max_num_queries):
    """The search reads the posts' mark-free ``title_key``, as the post list does: every word
    must be in the title, marks and case ignored, and only within the approver's scope."""
    from vietfront.text import search_key

    made = pending(tree.dongda, people.editor, 3, approving_unit=tree.hanoi)
    outside = pending(tree.tpbacninh, people.editor, 1, approving_unit=tree.bacninh)
    named = {made[0]: "Hội nghị Đại đoàn kết toàn dân tộc", made[1]: "Đoàn kết xây dựng nông thôn mới",
             made[2]: "Quỹ vì người nghèo", outside[0]: "Đại đoàn kết ở Bắc Ninh"}
    for submission, title in named.items():
        Post.objects.filter(pk=submission.post_id).update(title=title, title_key=search_key(title))
    client.force_login(people.approver)
    url = reverse(QUEUE)
    client.get(url, {"q": "khong"})  # per-process caches (content types, templates) filled once
    whole = _queue_queries(client, django_assert_max_num_queries, 8)
    # A searched list counts the header's badge on its own: one query more than the whole queue.
    with django_assert_max_num_queries(whole + 1):
        found = titles(client.get(url, {"q": "DAI doan KET"}))
    assert found == [made[0].revision.title]
    assert titles(client.get(url, {"q": "đoàn kết"})) == [made[0].revision.title, made[1].revision.title]
    assert titles(client.get(url, {"q": "doan ngheo"})) == []
    response = client.get(url, {"q": "<b>khong co</b>"})
    assert response.status_code == 200 and titles(response) == []
    assert "&lt;b&gt;khong co&lt;/b&gt;" in response.content.decode()  # the term kept, escaped
    assert len(titles(client.get(url, {"q": "  "}))) == 3


def test_decide_approve_now_publishes(client, post, people, django_capture_on_commit_callbacks):
    submission = services.post_submit(post=post, by=people.editor)
    client.force_login(people.approver)
    page = client.get(decide_url(submission))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Kết quả kiểm tra quy chế" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(submission), {"decision": "approve", "publish": "now", "reason": "Đạt"})
    assert response.status_code == 302 and response["Location"] == reverse(QUEUE)
    post.refresh_from_db()
    assert post.status == S.PUBLISHED and post.live_revision_id == submission.revision_id


def test_decide_approve_with_a_chosen_time_schedules(client, post, people):
    submission = services.post_submit(post=post, by=people.editor)
    client.force_login(people.approver)
    when = timezone.localtime() + datetime.timedelta(days=2)
    response = client.post(decide_url(submission), {
        "decision": "approve", "publish": "at", "publish_at": when.strftime("%Y-%m-%dT%H:%M"),
    })
    assert response.status_code == 302
    submission.refresh_from_db()
    assert Post.objects.get(pk=post.pk).status == S.SCHEDULED
    assert submission.publish_at == when.replace(second=0, microsecond=0)


def test_decide_refusals_keep_the_reason(client, post, people):
    submission = services.post_submit(post=post, by=people.editor)
    client.force_login(people.approver)
    past = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(decide_url(submission), {
        "decision": "approve", "publish": "at", "publish_at": past, "reason": "Đạt yêu cầu, đăng sáng mai",
    })
    assert response.status_code == 200
    assert ("error", "Thời điểm hẹn đăng phải ở tương lai.") in messages_of(response)
    assert ">Đạt yêu cầu, đăng sáng mai</textarea>" in response.content.decode()

    response = client.post(decide_url(submission), {"decision": "send_back", "reason": "   "})
    assert response.status_code == 200
    assert ("error", "Hãy ghi rõ lý do trả lại để người soạn biết cần sửa gì.") in messages_of(response)
    assert Post.objects.get(pk=post.pk).status == S.SUBMITTED
    assert Submission.objects.get(pk=submission.pk).state == "pending"


def test_decide_send_back_with_reason(client, post, people):
    submission = services.post_submit(post=post, by=people.editor)
    client.force_login(people.approver)
    response = client.post(decide_url(submission), {"decision": "send_back", "reason": "Bổ sung nguồn ảnh"})
    assert response.status_code == 302
    assert Post.objects.get(pk=post.pk).status == S.CHANGES_REQUESTED
    submission.refresh_from_db()
    assert submission.state == "sent_back" and submission.reason == "Bổ sung nguồn ảnh"


def test_own_post_cannot_be_approved_from_the_queue(client, tree, post, people):
    from guardian.shortcuts import assign_perm

    assign_perm("orgunits.approve_content", people.editor, tree.hanoi)
    submission = services.post_submit(post=post, by=people.editor)
    client.force_login(people.editor)
    response = client.post(decide_url(submission), {"decision": "approve", "publish": "now"})
    assert response.status_code == 200
    assert ("error", "Không ai được tự duyệt bài viết của mình.") in messages_of(response)
    assert Post.objects.get(pk=post.pk).status == S.SUBMITTED


@pytest.mark.parametrize("who", ["editor", "other_editor"])
def test_an_editor_cannot_open_the_queue_or_decide(client, post, people, who):
    submission = services.post_submit(post=post, by=people.editor)
    client.force_login(getattr(people, who))
    assert client.get(reverse(QUEUE)).status_code == 403
    assert client.get(decide_url(submission)).status_code == 404
    for decision in ("approve", "send_back"):
        response = client.post(decide_url(submission), {"decision": decision, "publish": "now", "reason": "x"})
        assert response.status_code == 404
    assert Post.objects.get(pk=post.pk).status == S.SUBMITTED
    assert Submission.objects.get(pk=submission.pk).state == "pending"
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["submit"]


def test_takedown_request_form_records_through_the_service(client, post, people, django_capture_on_commit_callbacks):
    from tests.moderation.admin_helpers import publish

    post = publish(post, editor=people.editor, approver=people.approver,
                   django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    client.force_login(people.approver)
    add = reverse("admin:moderation_takedownrequest_add")
    assert client.get(add, {"post": post.pk}).status_code == 200
    received = timezone.localtime() - datetime.timedelta(hours=30)
    response = client.post(add, {
        "post": post.pk, "source": "authority", "requester": "Sở Thông tin và Truyền thông",
        "reason": "Nội dung chưa chính xác", "received_at_0": received.strftime("%Y-%m-%d"),
        "received_at_1": received.strftime("%H:%M:%S"),
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    request = post.takedown_requests.get()
    assert request.deadline == request.received_at + datetime.timedelta(hours=24)
    assert AuditEntry.objects.filter(post=post, action="takedown_requested").count() == 1
    listing = client.get(reverse("admin:moderation_takedownrequest_changelist")).content.decode()
    assert "quá hạn 6 giờ" in listing

    # The district approver is below the approving unit: the form refuses, nothing recorded.
    client.force_login(people.district_approver)
    response = client.post(add, {
        "post": post.pk, "source": "complaint", "requester": "Ông N.V.A", "reason": "Khiếu nại",
        "received_at_0": received.strftime("%Y-%m-%d"), "received_at_1": received.strftime("%H:%M:%S"),
    })
    assert response.status_code == 200
    assert "Chỉ người duyệt của đơn vị cấp trên" in response.content.decode()
    assert post.takedown_requests.count() == 1


def test_notification_preference_is_the_users_own(client, people):
    from moderation.models import NotificationPreference

    client.force_login(people.approver)
    response = client.get(reverse("admin:moderation_notificationpreference_changelist"))
    assert response.status_code == 302
    mine = NotificationPreference.objects.get(user=people.approver)
    assert client.post(response["Location"], {"daily_digest": "on"}).status_code == 302
    assert NotificationPreference.objects.get(pk=mine.pk).daily_digest is True

    client.force_login(people.editor)
    other = reverse("admin:moderation_notificationpreference_change", args=[mine.pk])
    assert client.get(other).status_code in (302, 403, 404)
    client.post(other, {"daily_digest": ""})
    assert NotificationPreference.objects.get(pk=mine.pk).daily_digest is True


def test_approval_blocked_by_a_rule_added_since_submission_says_why_and_keeps_the_note(client, post, people):
    from moderation.models import BannedTerm

    submission = services.post_submit(post=post, by=people.editor)
    BannedTerm.objects.create(term="ra quân")  # the title's first words, banned after submission
    client.force_login(people.approver)
    response = client.post(decide_url(submission), {"decision": "approve", "publish": "now", "reason": "Đạt, đăng ngay"})
    assert response.status_code == 200
    errors = [text for level, text in messages_of(response) if level == "error"]
    assert errors[0] == "Không duyệt được: bài viết nay vi phạm quy chế."
    assert errors[1:] == [
        "Tiêu đề: có từ ngữ thuộc danh mục cấm “Ra quân” (Khác).",
        "Nội dung: có từ ngữ thuộc danh mục cấm “ra quân” (Khác).",
    ]
    assert ">Đạt, đăng ngay</textarea>" in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == S.SUBMITTED
    assert Submission.objects.get(pk=submission.pk).state == "pending"
    entry = AuditEntry.objects.get(post=post, action="rules_blocked")
    assert entry.actor == people.approver and entry.data["findings"][0]["code"] == "banned_terms"
