"""The unit admin's single changes: preview the dry-run report, then apply through the plan path."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from orgunits.models import OrgUnit, OrgUnitUserObjectPermission, Reorganisation, RoleGrantLog

from .reorganise_support import user
from .test_reorganise import snapshot

OPERATIONS = ("rename", "move", "merge", "split", "dissolve")
DAY = "2026-07-01"


def url(unit, op: str) -> str:
    return f"/quan-tri/orgunits/orgunit/{unit.pk}/reorganise/{op}/"


def fresh(unit) -> OrgUnit:
    return OrgUnit.objects.get(pk=unit.pk)


@pytest.fixture
def root(db, client):
    su = get_user_model().objects.create_superuser("root", "root@example.vn", "pw")
    client.force_login(su)
    return su


def test_merge_preview_changes_nothing_then_apply_carries_the_editor(client, tree, root):
    editor = user("bientap.langthuong")
    assign_perm("orgunits.edit_content", editor, tree.langthuong)
    form = {"into": tree.vanmieu.pk, "effective_on": DAY}
    before = snapshot()
    response = client.post(url(tree.langthuong, "merge"), {**form, "_preview": "1"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.dry_run and report.units["merged away"] == 1
    assert [row["holder"] for row in report.grants_moved] == ["user:bientap.langthuong"]
    body = response.content.decode()
    assert "Báo cáo xem trước" in body and 'name="_apply"' in body
    assert "1 chuyển sang đơn vị kế thừa" in body and "user:bientap.langthuong" in body
    assert snapshot() == before

    response = client.post(url(tree.langthuong, "merge"), {**form, "_apply": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/quan-tri/orgunits/orgunit/{tree.langthuong.pk}/change/"
    gone = fresh(tree.langthuong)
    assert not gone.is_active and gone.successor_id == tree.vanmieu.pk and str(gone.dissolved_on) == DAY
    assert set(OrgUnitUserObjectPermission.objects.filter(user=editor).values_list("content_object__code", flat=True)) == {"00181"}
    log = RoleGrantLog.objects.get(user=editor)
    assert (log.action, log.from_unit_id, log.unit_id) == ("move", tree.langthuong.pk, tree.vanmieu.pk)
    record = Reorganisation.objects.get()
    assert record.source == "admin merge commune:00187 by root"
    assert record.report["units"] == {"merged away": 1}


def test_get_shows_the_form_without_a_report_or_apply_button(client, tree, root):
    response = client.get(url(tree.vanmieu, "rename"))
    assert response.status_code == 200
    assert response.context["form"]["name"].value() == "Phường Văn Miếu Quốc Tử Giám"
    assert "report" not in response.context and 'name="_apply"' not in response.content.decode()


def test_rename_applies_and_keeps_the_old_path_as_a_redirect(client, tree, root):
    old_path = tree.vanmieu.path
    response = client.post(url(tree.vanmieu, "rename"),
                           {"name": "Phường Văn Miếu", "effective_on": DAY, "_apply": "1"})
    assert response.status_code == 302
    renamed = fresh(tree.vanmieu)
    assert renamed.name == "Phường Văn Miếu" and renamed.path != old_path
    assert client.get(f"/{old_path}/").status_code in (301, 302)
    assert Reorganisation.objects.get().report["units"] == {"renamed": 1}


def test_move_applies(client, tree, root):
    response = client.post(url(tree.phucxa, "move"), {"parent": tree.dongda.pk, "effective_on": DAY, "_apply": "1"})
    assert response.status_code == 302
    assert fresh(tree.phucxa).parent_id == tree.dongda.pk


def test_split_puts_the_parts_in_the_split_unit_place_and_names_the_default_successor(client, tree, root):
    approver = user("duyet.dongda")
    assign_perm("orgunits.approve_content", approver, tree.dongda)
    form = {"parts": [tree.vanmieu.pk, tree.langthuong.pk], "default": tree.vanmieu.pk, "effective_on": DAY}
    report = client.post(url(tree.dongda, "split"), {**form, "_preview": "1"}).context["report"]
    assert report.units["split"] == 1
    # The default successor is narrower than the district: the approver's grant goes there.
    assert [(row["holder"], row["to_unit"]) for row in report.grants_moved] == [
        ("user:duyet.dongda", "Phường Văn Miếu Quốc Tử Giám (commune 00181)")]
    assert fresh(tree.dongda).is_active
    response = client.post(url(tree.dongda, "split"), {**form, "_apply": "1"})
    assert response.status_code == 302
    assert not fresh(tree.dongda).is_active and fresh(tree.dongda).successor_id == tree.vanmieu.pk
    assert fresh(tree.vanmieu).parent_id == tree.hanoi.pk and fresh(tree.langthuong).parent_id == tree.hanoi.pk


def test_split_refuses_a_default_that_cannot_hold_the_remaining_children(client, tree, root):
    before = snapshot(skip=("sessions.Session",))
    response = client.post(url(tree.dongda, "split"), {
        "parts": [tree.vanmieu.pk], "default": tree.vanmieu.pk, "effective_on": DAY, "_apply": "1"})
    assert response.status_code == 200
    assert "không thể trực thuộc “Phường Văn Miếu Quốc Tử Giám”" in response.content.decode()
    assert snapshot(skip=("sessions.Session",)) == before


def test_dissolve_with_a_successor(client, tree, root):
    response = client.post(url(tree.vuninh, "dissolve"),
                           {"successor": tree.phucxa.pk, "effective_on": DAY, "_apply": "1"})
    assert response.status_code == 302
    assert fresh(tree.vuninh).successor_id == tree.phucxa.pk and not fresh(tree.vuninh).is_active


@pytest.mark.parametrize(("op", "target", "form", "message"), [
    ("merge", "vuninh", {"into": "dissolved"}, "Đơn vị kế thừa phải là một đơn vị khác đang hoạt động."),
    ("move", "vuninh", {"parent": "phucxa"}, "không thể trực thuộc"),
    ("move", "dongda", {"parent": "vanmieu"}, "Không thể chuyển một đơn vị vào chính nó"),
    ("dissolve", "dongda", {}, "còn đơn vị cấp dưới đang hoạt động"),
    ("merge", "vanmieu", {"into": "vanmieu"}, "Không thể sáp nhập một đơn vị vào chính nó."),
])
@pytest.mark.parametrize("button", ["_preview", "_apply"])
def test_a_bad_target_is_refused_with_the_message_and_nothing_changes(client, tree, root, op, target, form, message,
                                                                      button):
    # Láng Thượng stands for a unit dissolved earlier: the "merge into a dissolved unit" case.
    OrgUnit.objects.filter(pk=tree.langthuong.pk).update(is_active=False, dissolved_on=DAY)
    units = {"dissolved": tree.langthuong, "phucxa": tree.phucxa, "vanmieu": tree.vanmieu}
    data = {k: units[v].pk for k, v in form.items()}
    before = snapshot(skip=("sessions.Session",))
    response = client.post(url(getattr(tree, target), op), {**data, "effective_on": DAY, button: "1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].data["effective_on"] == DAY  # what was typed is kept
    assert "report" not in response.context
    assert snapshot(skip=("sessions.Session",)) == before


def test_a_unit_without_an_official_code_is_refused_in_the_form(client, tree, root):
    response = client.post(url(tree.hanoi, "move"), {"parent": tree.central.pk, "effective_on": DAY, "_preview": "1"})
    assert response.status_code == 200
    assert "chưa có mã đơn vị hành chính" in response.content.decode()


def test_unknown_operation_is_404_for_a_super_admin(client, tree, root):
    assert client.get(url(tree.vanmieu, "explode")).status_code == 404
    assert client.get("/quan-tri/orgunits/orgunit/999999/reorganise/rename/").status_code == 404


def test_the_change_page_links_the_operations_for_super_admins_only(client, tree, root):
    body = client.get(f"/quan-tri/orgunits/orgunit/{tree.vanmieu.pk}/change/").content.decode()
    for op in OPERATIONS:
        assert url(tree.vanmieu, op) in body


@pytest.mark.parametrize("op", OPERATIONS)
def test_a_province_unit_admin_gets_403_on_every_operation(client, tree, op):
    admin_user = user("qt.hanoi")
    assign_perm("orgunits.admin_unit", admin_user, tree.hanoi)
    client.force_login(admin_user)
    before = snapshot(skip=("sessions.Session",))
    assert client.get(url(tree.vanmieu, op)).status_code == 403
    data = {"name": "Bị sửa", "into": tree.phucxa.pk, "parent": tree.badinh.pk, "parts": [tree.phucxa.pk],
            "default": tree.phucxa.pk, "successor": tree.phucxa.pk, "effective_on": DAY}
    assert client.post(url(tree.vanmieu, op), {**data, "_apply": "1"}).status_code == 403
    assert snapshot(skip=("sessions.Session",)) == before
    body = client.get(f"/quan-tri/orgunits/orgunit/{tree.vanmieu.pk}/change/").content.decode()
    assert "/reorganise/" not in body


def test_the_report_escapes_what_it_shows(client, tree, root):
    OrgUnit.objects.filter(pk=tree.langthuong.pk).update(name="<script>alert(1)</script>")
    editor = user("bientap.langthuong")
    assign_perm("orgunits.edit_content", editor, tree.langthuong)
    response = client.post(url(tree.langthuong, "merge"), {"into": tree.vanmieu.pk, "effective_on": DAY,
                                                          "_preview": "1"})
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_preview_shows_the_targets_the_change_moves(client, tree, root):
    from pages.services import page_create

    page_create(unit=tree.langthuong, by=None)  # an active page: Láng Thượng meets the commune target
    response = client.post(url(tree.langthuong, "merge"), {"into": tree.vanmieu.pk, "effective_on": DAY,
                                                           "_preview": "1"})
    rows = [(r["kind"], r["met_before"], r["total_before"], r["met_after"], r["total_after"])
            for r in response.context["target_rows"]]
    assert rows == [("commune", 1, 4, 0, 3)]  # the district and province targets do not move
    body = response.content.decode()
    assert "<td>Cấp xã có trang cộng đồng</td><td>Xã, phường, thị trấn, đặc khu</td><td>1 / 4</td><td>0 / 3</td>" in body
