"""reorganise: the 2025 reform on the hand-made tree, with people and work carried.

The data set: Hà Nội and Bắc Ninh continue; Phường Văn Miếu (00181) continues, renamed, under
Hà Nội and takes over Phường Láng Thượng; Phường Phúc Xá continues as Phường Ba Đình; the
districts go (successor: their province); Phường Vũ Ninh goes with no successor.
"""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from moderation.models import AuditEntry, Submission, TakedownRequest
from moderation.services import post_approve, post_submit
from orgunits.importers import source
from orgunits.models import (
    GrantReview,
    OrgUnit,
    OrgUnitGroupObjectPermission,
    OrgUnitUserObjectPermission,
    Reorganisation,
    RoleGrantLog,
    Structure,
)
from orgunits.reorganise.run import reorganisation_run
from orgunits.selectors import user_has_unit_perm
from pages.models import Post, PostStatus
from pages.services import page_create
from tests.moderation.workflow_fixtures import make_post

from .reorganise_support import publish, user

DATA_2025 = source.DataSet(
    structure=Structure.Y2025,
    units=[
        source.UnitRecord("province", "01", "Thành phố Hà Nội", "Hà Nội", None),
        source.UnitRecord("province", "27", "Tỉnh Bắc Ninh", "Bắc Ninh", None),
        source.UnitRecord("commune", "00001", "Phường Ba Đình", "Ba Đình", ("province", "01")),
        source.UnitRecord("commune", "00181", "Phường Văn Miếu - Quốc Tử Giám", "Văn Miếu", ("province", "01")),
    ],
    successors={
        ("district", "006"): ("province", "01"),
        ("district", "001"): ("province", "01"),
        ("district", "256"): ("province", "27"),
        ("commune", "00187"): ("commune", "00181"),
    },
)


def reform(**kwargs):
    return reorganisation_run(plan="2025", data=DATA_2025, **kwargs)


def fresh(unit) -> OrgUnit:
    return OrgUnit.objects.get(pk=unit.pk)


def snapshot(*, skip: tuple[str, ...] = ()) -> dict[str, list]:
    """Every row of every table, by model: equal snapshots mean nothing was written."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label not in skip and not model._meta.proxy
    }


def grants_of(user_or_group) -> set[tuple[str, str]]:
    model = OrgUnitGroupObjectPermission if isinstance(user_or_group, Group) else OrgUnitUserObjectPermission
    field = "group" if isinstance(user_or_group, Group) else "user"
    return set(
        model.objects.filter(**{field: user_or_group}).values_list("permission__codename", "content_object__code")
    )


# --- people -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_commune_editor_moves_to_the_successor_commune_not_the_province(tree, django_capture_on_commit_callbacks):
    editor = user("bientap.langthuong")
    assign_perm("orgunits.edit_content", editor, tree.langthuong)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = reform()
    assert grants_of(editor) == {("edit_content", "00181")}
    assert user_has_unit_perm(user=editor, perm="edit_content", unit=fresh(tree.vanmieu))
    assert not user_has_unit_perm(user=editor, perm="edit_content", unit=fresh(tree.phucxa))
    log = RoleGrantLog.objects.get(user=editor)
    assert (log.action, log.role, log.from_unit_id, log.unit_id) == ("move", "editor", tree.langthuong.pk, tree.vanmieu.pk)
    assert [row["holder"] for row in outcome.report.grants_moved] == ["user:bientap.langthuong"]
    assert mail.outbox == []  # a carried grant needs no decision


@pytest.mark.django_db
def test_group_grant_moves_and_is_logged_for_the_group(tree):
    group = Group.objects.create(name="Ban biên tập Láng Thượng")
    assign_perm("orgunits.edit_content", group, tree.langthuong)
    reform()
    assert grants_of(group) == {("edit_content", "00181")}
    log = RoleGrantLog.objects.get(group=group)
    assert (log.action, log.user_id, log.unit_id) == ("move", None, tree.vanmieu.pk)


@pytest.mark.django_db
def test_role_log_admin_lists_group_moves(tree, admin_client):
    group = Group.objects.create(name="Ban biên tập Láng Thượng")
    assign_perm("orgunits.edit_content", group, tree.langthuong)
    reform()
    response = admin_client.get("/quan-tri/orgunits/rolegrantlog/")
    assert response.status_code == 200
    assert "Ban biên tập Láng Thượng" in response.content.decode()


@pytest.mark.django_db
def test_grant_already_covered_on_the_successor_ends(tree):
    editor = user("bientap.hai")
    assign_perm("orgunits.edit_content", editor, tree.langthuong)
    assign_perm("orgunits.edit_content", editor, tree.vanmieu)
    outcome = reform()
    assert grants_of(editor) == {("edit_content", "00181")}
    assert RoleGrantLog.objects.get(user=editor).action == "revoke"
    assert len(outcome.report.grants_ended) == 1 and outcome.report.grants_moved == []


@pytest.mark.django_db
def test_district_editor_goes_to_the_communes_of_the_district_never_the_province(tree):
    editor = user("bientap.dongda")
    assign_perm("orgunits.edit_content", editor, tree.dongda)
    reform()
    # Văn Miếu continued from under Đống Đa and took over Láng Thượng; Ba Đình (ex Phúc Xá) was
    # never Đống Đa's and the province is wider.
    assert grants_of(editor) == {("edit_content", "00181")}
    assert not user_has_unit_perm(user=editor, perm="edit_content", unit=fresh(tree.hanoi))
    assert not user_has_unit_perm(user=editor, perm="edit_content", unit=fresh(tree.phucxa))
    assert GrantReview.objects.count() == 0


@pytest.mark.django_db
def test_district_approver_is_kept_for_a_decision_and_told(tree, django_capture_on_commit_callbacks):
    approver = user("duyet.dongda")
    assign_perm("orgunits.approve_content", approver, tree.dongda)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = reform()
    assert grants_of(approver) == {("approve_content", "006")}  # not widened to Hà Nội
    assert not user_has_unit_perm(user=approver, perm="approve_content", unit=fresh(tree.vanmieu))
    review = GrantReview.objects.get()
    assert (review.user, review.unit_id, review.successor_id, review.reason) == (
        approver, tree.dongda.pk, tree.hanoi.pk, "wider"
    )
    assert review.reorganisation == Reorganisation.objects.get()
    assert [m.to for m in mail.outbox] == [["duyet.dongda@mattran.example.vn"]]
    assert "Quận Đống Đa" in mail.outbox[0].body and "Người duyệt" in mail.outbox[0].body
    assert outcome.report.grants_for_decision[0]["new"] is True


@pytest.mark.django_db
def test_district_unit_admin_is_kept_for_a_decision(tree):
    admin = user("quantri.badinh")
    assign_perm("orgunits.admin_unit", admin, tree.badinh)
    reform()
    assert grants_of(admin) == {("admin_unit", "001")}
    assert GrantReview.objects.get().reason == "wider"


@pytest.mark.django_db
def test_grant_on_a_unit_without_successor_is_kept_for_a_decision(tree, django_capture_on_commit_callbacks):
    editor = user("bientap.vuninh")
    group = Group.objects.create(name="Ban biên tập Vũ Ninh")
    member = user("thanhvien.vuninh")
    member.groups.add(group)
    assign_perm("orgunits.edit_content", editor, tree.vuninh)
    assign_perm("orgunits.edit_content", group, tree.vuninh)
    with django_capture_on_commit_callbacks(execute=True):
        reform()
    assert grants_of(editor) == {("edit_content", "09163")}
    assert set(GrantReview.objects.values_list("reason", "user__username", "group__name")) == {
        ("no_successor", "bientap.vuninh", None),
        ("no_successor", None, "Ban biên tập Vũ Ninh"),
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["bientap.vuninh@mattran.example.vn",
                                                     "thanhvien.vuninh@mattran.example.vn"]


@pytest.mark.django_db
def test_grants_on_continuing_units_are_untouched(tree):
    admin = user("quantri.hanoi")
    editor = user("bientap.vanmieu")
    assign_perm("orgunits.admin_unit", admin, tree.hanoi)
    assign_perm("orgunits.edit_content", editor, tree.vanmieu)
    reform()
    assert grants_of(admin) == {("admin_unit", "01")} and grants_of(editor) == {("edit_content", "00181")}
    assert RoleGrantLog.objects.count() == 0


# --- work -------------------------------------------------------------------------------------
@pytest.fixture
def work(tree):
    """Láng Thượng's editor with a draft, a pending submission and a published post with an open
    takedown request; Văn Miếu has a post with the draft's slug; approvers at Đống Đa and Hà Nội."""
    editor = user("bientap.langthuong")
    district_approver = user("duyet.dongda")
    approver = user("duyet.hanoi")
    assign_perm("orgunits.edit_content", editor, tree.langthuong)
    assign_perm("orgunits.approve_content", district_approver, tree.dongda)
    assign_perm("orgunits.approve_content", approver, tree.hanoi)
    vanmieu_editor = user("bientap.vanmieu")
    assign_perm("orgunits.edit_content", vanmieu_editor, tree.vanmieu)
    page_create(unit=tree.hanoi, by=None)
    make_post(tree.vanmieu, vanmieu_editor, title="Tổng vệ sinh môi trường khu dân cư")
    draft = make_post(tree.langthuong, editor, title="Tổng vệ sinh môi trường khu dân cư")
    pending = make_post(tree.langthuong, editor, title="Hội nghị hiệp thương giới thiệu người ứng cử")
    submission = post_submit(post=pending, by=editor)
    assert submission.approving_unit_id == tree.dongda.pk
    published = publish(make_post(tree.langthuong, editor, title="Trao quà cho hộ nghèo dịp Tết"))
    takedown = TakedownRequest.objects.create(
        post=published, source="complaint", requester="Ông N.V.A", reason="Sai tên người",
        received_at=datetime.datetime(2025, 6, 30, 8, tzinfo=datetime.UTC),
        deadline=datetime.datetime(2025, 7, 2, 8, tzinfo=datetime.UTC), recorded_by=approver,
    )
    return {"editor": editor, "district_approver": district_approver, "approver": approver,
            "draft": draft, "pending": pending, "submission": submission, "published": published,
            "takedown": takedown}


@pytest.mark.django_db
def test_drafts_move_with_their_unit_and_keep_their_content(tree, work):
    reform()
    draft = Post.objects.get(pk=work["draft"].pk)
    assert (draft.unit_id, draft.page.unit_id, draft.status) == (tree.vanmieu.pk, tree.vanmieu.pk, PostStatus.DRAFT)
    assert draft.title == "Tổng vệ sinh môi trường khu dân cư"
    assert draft.slug != work["draft"].slug  # the successor's page already had that slug
    # The successor's log says why the draft is there, with no person as its author.
    entry = AuditEntry.objects.get(post=draft, action="unit_reorganised")
    assert (entry.unit_id, entry.actor_id, entry.from_state, entry.to_state) == (tree.vanmieu.pk, None, "draft", "")
    assert entry.data == {"from_unit": tree.langthuong.pk, "to_unit": tree.vanmieu.pk}
    assert entry.reason == "Sắp xếp lại đơn vị: từ Phường Láng Thượng sang Phường Văn Miếu - Quốc Tử Giám"


@pytest.mark.django_db
def test_pending_submission_is_rerouted_told_and_decided_by_the_new_approver(
    tree, work, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = reform()
    submission = Submission.objects.get(pk=work["submission"].pk)
    assert (submission.state, submission.approving_unit_id) == ("pending", tree.hanoi.pk)
    assert outcome.report.submissions_rerouted[0]["post"] == work["pending"].pk
    rerouted = AuditEntry.objects.get(post=work["pending"], action="rerouted")
    assert (rerouted.unit_id, rerouted.from_state, rerouted.data) == (
        tree.vanmieu.pk, "submitted", {"from_unit": tree.dongda.pk, "to_unit": tree.hanoi.pk}
    )
    assert [m.to for m in mail.outbox if "[Chờ duyệt]" in m.subject] == [["duyet.hanoi@mattran.example.vn"]]
    post = Post.objects.get(pk=work["pending"].pk)
    with pytest.raises(PermissionDenied):
        post_approve(post=post, by=work["district_approver"])
    with django_capture_on_commit_callbacks(execute=False):
        decided = post_approve(post=post, by=work["approver"])
    assert (decided.state, decided.decided_by) == ("approved", work["approver"])


@pytest.mark.django_db
def test_published_posts_stay_and_takedowns_keep_their_clock(tree, work, client):
    reform()
    published = Post.objects.get(pk=work["published"].pk)
    assert published.unit_id == tree.langthuong.pk
    assert client.get(published.get_absolute_url()).status_code == 200
    takedown = TakedownRequest.objects.get(pk=work["takedown"].pk)
    assert (takedown.deadline, takedown.state) == (work["takedown"].deadline, "open")


@pytest.mark.django_db
def test_successor_page_shows_its_history(tree, work, client):
    reform()
    vanmieu = fresh(tree.vanmieu)
    assert vanmieu.has_predecessors
    html = client.get(vanmieu.get_absolute_url()).content.decode()
    assert "Trước đây: MTTQ Phường Láng Thượng" in html
    assert f'href="{fresh(tree.langthuong).get_absolute_url()}"' in html


def unit_page_queries(client, unit) -> list[str]:
    cache.clear()  # the public page cache would answer without a query
    with CaptureQueriesContext(connection) as queries:
        assert client.get(unit.get_absolute_url()).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_history_costs_no_query_on_a_unit_without_predecessors(tree, work, client):
    reform()
    phucxa = fresh(tree.phucxa)
    page_create(unit=phucxa, by=None)
    plain = unit_page_queries(client, phucxa)
    with_history = unit_page_queries(client, fresh(tree.vanmieu))

    def by_successor(queries: list[str]) -> int:
        return sum('"successor_id" = ' in sql for sql in queries)

    # The one extra query is the predecessors' (units whose successor is this one).
    assert len(with_history) == len(plain) + 1
    assert by_successor(with_history) == by_successor(plain) + 1


# --- plan, dry run, idempotence ---------------------------------------------------------------
@pytest.mark.django_db
def test_dry_run_reports_everything_and_changes_nothing(tree, work, django_capture_on_commit_callbacks):
    assign_perm("orgunits.approve_content", user("duyet.badinh"), tree.badinh)
    mail.outbox.clear()
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = reform(dry_run=True)
    assert snapshot() == before
    assert callbacks == [] and mail.outbox == []
    report = outcome.report
    assert report.dry_run and outcome.record is None
    assert report.units["dissolved"] == 5
    assert (len(report.grants_moved), len(report.grants_for_decision)) == (1, 2)
    assert (report.drafts_moved, len(report.submissions_rerouted)) == (2, 1)
    assert (report.published_kept, report.takedowns_kept) == (1, 1)
    assert report.lines()[0].startswith("DRY RUN - nothing was changed.")
    # The rollout's targets over the country: the districts' stop applying, the communes' is
    # then measured over the communes that remain (Văn Miếu has a page, Ba Đình has none).
    assert [(r["kind"], r["met_before"], r["total_before"], r["met_after"], r["total_after"], r["stops_applying"])
            for r in report.targets] == [
        ("province", 0, 2, 0, 2, True), ("district", 0, 3, 0, 0, True), ("commune", 2, 4, 1, 2, False),
    ]
    assert "  target: Cấp huyện có trang cộng đồng (district): 0 of 3 -> 0 of 0 - no longer applies" in report.lines()


@pytest.mark.django_db
def test_applying_twice_changes_nothing_the_second_time(tree, work, django_capture_on_commit_callbacks):
    assign_perm("orgunits.approve_content", user("duyet.badinh"), tree.badinh)
    with django_capture_on_commit_callbacks(execute=True):
        reform()
    mail.outbox.clear()
    before = snapshot(skip=("orgunits.UnitImport",))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = reform()
    assert snapshot(skip=("orgunits.UnitImport",)) == before
    assert callbacks == [] and mail.outbox == []
    assert not again.report.changed_anything and again.record is None
    # Still listed for a decision, but not new.
    assert [row["new"] for row in again.report.grants_for_decision] == [False, False]
    call_command("check_unit_tree")
