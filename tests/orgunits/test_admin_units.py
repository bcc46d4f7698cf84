"""The unit admin: scoped to the viewer's subtree, constant queries, writes through services."""

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from orgunits.models import OrgUnit, OrgUnitRedirect, UnitKind
from orgunits.services import unit_create

URL = "/quan-tri/orgunits/orgunit/"


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.vn", "pw")


@pytest.fixture
def hanoi_admin(tree):
    user = get_user_model().objects.create_user("qt.hanoi", password="pw", is_staff=True)
    assign_perm("orgunits.admin_unit", user, tree.hanoi)
    return user


def test_unit_admin_lists_only_its_subtree(client, tree, hanoi_admin):
    client.force_login(hanoi_admin)
    response = client.get(URL)
    assert response.status_code == 200
    names = {u.name for u in response.context["cl"].result_list}
    assert "Phường Phúc Xá" in names and "Thành phố Hà Nội" in names
    assert "Tỉnh Bắc Ninh" not in names and "Phường Vũ Ninh" not in names


def test_unit_admin_cannot_open_or_change_a_unit_outside(client, tree, hanoi_admin):
    client.force_login(hanoi_admin)
    outside = f"{URL}{tree.vuninh.pk}/change/"
    assert client.get(outside).status_code in (302, 403, 404)
    response = client.post(outside, {"name": "Bị sửa", "kind": "commune", "code": "09163"})
    assert response.status_code in (302, 403, 404)
    assert OrgUnit.objects.get(pk=tree.vuninh.pk).name == "Phường Vũ Ninh"


def test_unit_admin_sees_its_units_read_only(client, tree, hanoi_admin):
    client.force_login(hanoi_admin)
    response = client.post(f"{URL}{tree.phucxa.pk}/change/", {"name": "Bị sửa"})
    assert response.status_code == 403
    assert OrgUnit.objects.get(pk=tree.phucxa.pk).name == "Phường Phúc Xá"


def test_editor_without_admin_role_sees_no_units(client, tree):
    editor = get_user_model().objects.create_user("bt", password="pw", is_staff=True)
    assign_perm("orgunits.edit_content", editor, tree.dongda)
    client.force_login(editor)
    assert client.get(URL).status_code == 403


def test_changelist_query_count_is_constant(client, tree, superuser, django_assert_max_num_queries):
    client.force_login(superuser)
    with django_assert_max_num_queries(12) as small:
        assert client.get(URL).status_code == 200
    for i in range(120):
        unit_create(name=f"Xã Thử Nghiệm {i}", kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=tree.dongda.pk), code=f"9{i:04d}")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(URL)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 130
    assert len(large.captured_queries) == len(small.captured_queries)


def test_search_and_province_filter(client, tree, superuser):
    client.force_login(superuser)
    response = client.get(URL, {"q": "00001"})
    assert [u.name for u in response.context["cl"].result_list] == ["Phường Phúc Xá"]
    response = client.get(URL, {"province": tree.bacninh.pk})
    assert {u.name for u in response.context["cl"].result_list} == {"Tỉnh Bắc Ninh", "Thành phố Bắc Ninh", "Phường Vũ Ninh"}


def test_superuser_rename_goes_through_services_and_keeps_redirect(client, tree, superuser):
    client.force_login(superuser)
    response = client.post(
        f"{URL}{tree.phucxa.pk}/change/",
        {"name": "Phường Phúc Xá Mới", "short_name": "", "parent": tree.badinh.pk},
    )
    assert response.status_code == 302, response.content[:2000]
    unit = OrgUnit.objects.get(pk=tree.phucxa.pk)
    assert unit.path == "ha-noi/quan-ba-dinh/phuong-phuc-xa-moi"
    assert OrgUnitRedirect.objects.get(old_path="ha-noi/quan-ba-dinh/phuong-phuc-xa").unit == unit
    # The old public address answers with a permanent redirect to the new one.
    assert client.get("/ha-noi/quan-ba-dinh/phuong-phuc-xa/").headers["Location"] == "/ha-noi/quan-ba-dinh/phuong-phuc-xa-moi/"


def test_units_are_never_deleted_from_the_admin(client, tree, superuser):
    client.force_login(superuser)
    assert client.post(f"{URL}{tree.phucxa.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OrgUnit.objects.filter(pk=tree.phucxa.pk).exists()


def test_superuser_move_to_a_parent_of_the_wrong_kind_is_a_form_error(client, tree, superuser):
    # A district under a district: refused on the form, with what was typed kept, not a 500.
    client.force_login(superuser)
    response = client.post(
        f"{URL}{tree.dongda.pk}/change/",
        {"name": "Quận Đống Đa Mới", "short_name": "", "parent": tree.badinh.pk},
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["parent"] and form["name"].value() == "Quận Đống Đa Mới"
    dongda = OrgUnit.objects.get(pk=tree.dongda.pk)
    assert (dongda.name, dongda.parent_id, dongda.path) == ("Quận Đống Đa", tree.hanoi.pk, "ha-noi/quan-dong-da")


def test_superuser_move_into_its_own_subtree_is_a_form_error(client, tree, superuser):
    client.force_login(superuser)
    response = client.post(
        f"{URL}{tree.hanoi.pk}/change/", {"name": "Thành phố Hà Nội", "short_name": "Hà Nội", "parent": tree.dongda.pk}
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["parent"]
    assert OrgUnit.objects.get(pk=tree.hanoi.pk).parent_id == tree.central.pk


def test_superuser_add_under_a_parent_of_the_wrong_kind_is_a_form_error(client, tree, superuser):
    client.force_login(superuser)
    response = client.post(
        f"{URL}add/", {"name": "Xã Lạc Chỗ", "short_name": "", "kind": "commune", "code": "99999", "parent": tree.hanoi.pk}
    )
    # A commune may sit under a province (2025 structure); under the central unit it may not.
    assert response.status_code == 302
    response = client.post(
        f"{URL}add/", {"name": "Xã Sai Cấp", "short_name": "", "kind": "commune", "code": "99998", "parent": tree.central.pk}
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["parent"]
    assert not OrgUnit.objects.filter(name="Xã Sai Cấp").exists()


def test_superuser_clearing_the_parent_is_a_form_error_not_ignored(client, tree, superuser):
    client.force_login(superuser)
    response = client.post(f"{URL}{tree.dongda.pk}/change/", {"name": "Quận Đống Đa Mới", "short_name": "", "parent": ""})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["parent"] and form["name"].value() == "Quận Đống Đa Mới"
    assert OrgUnit.objects.get(pk=tree.dongda.pk).name == "Quận Đống Đa"
