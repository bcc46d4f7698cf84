"""Roles on units: the services, their inheritance down the tree, the commands, the admin."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from orgunits.models import OrgUnitUserObjectPermission, RoleGrantLog, UnitKind
from orgunits.roles import Perm, Role
from orgunits.selectors import units_for_user, user_has_unit_perm
from orgunits.services import role_grant, role_revoke, unit_create, unit_dissolve
from vietfront.people import full_name, given_name

ADD_URL = "admin:orgunits_orgunituserobjectpermission_add"
GRANTS_URL = "admin:orgunits_orgunituserobjectpermission_changelist"
LOG_URL = "admin:orgunits_rolegrantlog_changelist"


def make_user(username: str, **extra) -> User:
    return User.objects.create_user(username=username, password="pw-" + username, **extra)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(username="root", password="pw-root")


@pytest.fixture
def hanoi_admin(tree) -> User:
    user = make_user("quantri.hanoi")
    role_grant(user=user, role=Role.UNIT_ADMIN, unit=tree.hanoi, by=None)
    return user


@pytest.fixture
def dongda_admin(tree) -> User:
    user = make_user("quantri.dongda")
    role_grant(user=user, role=Role.UNIT_ADMIN, unit=tree.dongda, by=None)
    return user


def grant_count() -> int:
    return OrgUnitUserObjectPermission.objects.count()


# --- inheritance down the tree --------------------------------------------------------------
def test_grant_on_province_holds_on_its_communes_not_on_a_neighbouring_province(tree):
    editor = make_user("bientap")
    assert role_grant(user=editor, role=Role.EDITOR, unit=tree.hanoi, by=None) is True

    units = set(units_for_user(user=editor, perm=Perm.EDIT))
    assert {tree.hanoi, tree.dongda, tree.vanmieu, tree.langthuong, tree.badinh, tree.phucxa} == units
    assert not user_has_unit_perm(user=editor, perm=Perm.EDIT, unit=tree.bacninh)
    assert not user_has_unit_perm(user=editor, perm=Perm.EDIT, unit=tree.vuninh)
    assert not user_has_unit_perm(user=editor, perm=Perm.EDIT, unit=tree.central)
    # The role is the editor's only: no approval right comes with it.
    assert not units_for_user(user=editor, perm=Perm.APPROVE).exists()


def test_group_grant_covers_the_subtree_too(tree):
    member = make_user("thanhvien")
    group = Group.objects.create(name="Ban biên tập Đống Đa")
    member.groups.add(group)
    assign_perm(f"orgunits.{Perm.EDIT}", group, tree.dongda)

    assert set(units_for_user(user=member, perm=Perm.EDIT)) == {tree.dongda, tree.vanmieu, tree.langthuong}
    # The check the write paths make answers the same, through the group, and only there.
    assert user_has_unit_perm(user=member, perm=Perm.EDIT, unit=tree.vanmieu)
    assert not user_has_unit_perm(user=member, perm=Perm.EDIT, unit=tree.hanoi)
    assert not user_has_unit_perm(user=member, perm=Perm.EDIT, unit=tree.phucxa)
    assert not user_has_unit_perm(user=member, perm=Perm.APPROVE, unit=tree.vanmieu)
    assert not user_has_unit_perm(user=make_user("ngoai.nhom"), perm=Perm.EDIT, unit=tree.vanmieu)


def test_a_global_model_level_permission_grants_nothing(tree):
    user = make_user("toancuc", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=Perm.ADMIN, content_type__app_label="orgunits"))
    user = User.objects.get(pk=user.pk)
    assert user.has_perm(f"orgunits.{Perm.ADMIN}")  # Django's backend says yes...
    assert not units_for_user(user=user, perm=Perm.ADMIN).exists()  # ...the selector does not.
    with pytest.raises(PermissionDenied):
        role_grant(user=make_user("x"), role=Role.EDITOR, unit=tree.vanmieu, by=user)


@pytest.mark.parametrize("grants", [1, 20])
def test_units_for_user_is_two_queries_whatever_the_number_of_grants(tree, grants, django_assert_num_queries):
    user = make_user("nhieuquyen")
    units = [
        tree.hanoi,
        tree.dongda,
        tree.vanmieu,
        tree.langthuong,
        tree.badinh,
        tree.phucxa,
        tree.bacninh,
        tree.tpbacninh,
        tree.vuninh,
    ]
    parent = tree.refresh().bacninh
    while len(units) < grants:
        units.append(
            unit_create(
                name=f"Huyện Thử {len(units)}",
                kind=UnitKind.DISTRICT,
                parent=parent,
                code=f"9{len(units):02d}",
            )
        )
        parent = tree.refresh().bacninh
    for unit in units[:grants]:
        role_grant(user=user, role=Role.EDITOR, unit=unit, by=None)
    assert OrgUnitUserObjectPermission.objects.filter(user=user).count() == grants

    # One read of the grant tables, one of the units inside the granted intervals.
    with django_assert_num_queries(2):
        result = list(units_for_user(user=user, perm=Perm.EDIT))
    assert tree.vanmieu in result


# --- the services' rules --------------------------------------------------------------------
def test_unit_admin_grants_inside_its_subtree_and_it_is_logged(tree, hanoi_admin):
    editor = make_user("bientap.vanmieu")
    assert role_grant(user=editor, role=Role.EDITOR, unit=tree.vanmieu, by=hanoi_admin) is True

    editor.refresh_from_db()
    assert editor.is_staff
    log = RoleGrantLog.objects.get(user=editor)
    assert (log.action, log.role, log.unit, log.actor) == ("grant", "editor", tree.vanmieu, hanoi_admin)
    assert log.at is not None


def test_unit_admin_may_make_another_unit_admin_below_it(tree, hanoi_admin):
    deputy = make_user("quantri.badinh")
    assert role_grant(user=deputy, role=Role.UNIT_ADMIN, unit=tree.badinh, by=hanoi_admin)
    assert user_has_unit_perm(user=deputy, perm=Perm.ADMIN, unit=tree.phucxa)


def test_granting_twice_writes_one_row_and_one_log(tree):
    editor = make_user("bientap")
    assert role_grant(user=editor, role=Role.EDITOR, unit=tree.dongda, by=None) is True
    assert role_grant(user=editor, role=Role.EDITOR, unit=tree.dongda, by=None) is False
    assert OrgUnitUserObjectPermission.objects.filter(user=editor).count() == 1
    assert RoleGrantLog.objects.filter(user=editor).count() == 1


def test_grant_outside_the_admins_subtree_is_refused_and_changes_nothing(tree, dongda_admin):
    editor = make_user("bientap")
    before, logs = grant_count(), RoleGrantLog.objects.count()
    for unit in (tree.badinh, tree.phucxa, tree.hanoi, tree.vuninh):
        with pytest.raises(PermissionDenied):
            role_grant(user=editor, role=Role.EDITOR, unit=unit, by=dongda_admin)
    assert (grant_count(), RoleGrantLog.objects.count()) == (before, logs)
    editor.refresh_from_db()
    assert not editor.is_staff


@pytest.mark.parametrize("granter_role", [None, Role.EDITOR, Role.APPROVER])
def test_granting_by_a_non_admin_is_refused(tree, granter_role):
    granter = make_user("khongphaiquantri")
    if granter_role:
        role_grant(user=granter, role=granter_role, unit=tree.hanoi, by=None)
    before = grant_count()
    with pytest.raises(PermissionDenied):
        role_grant(user=make_user("nguoikhac"), role=Role.EDITOR, unit=tree.vanmieu, by=granter)
    # Not even to themselves: an approver cannot make itself an admin.
    with pytest.raises(PermissionDenied):
        role_grant(user=granter, role=Role.UNIT_ADMIN, unit=tree.vanmieu, by=granter)
    assert grant_count() == before


def test_inactive_admin_is_refused(tree, hanoi_admin):
    hanoi_admin.is_active = False
    hanoi_admin.save()
    with pytest.raises(PermissionDenied):
        role_grant(user=make_user("x"), role=Role.EDITOR, unit=tree.vanmieu, by=hanoi_admin)


def test_unknown_role_and_dissolved_unit_are_refused(tree):
    user = make_user("x")
    with pytest.raises(ValidationError):
        role_grant(user=user, role="chief", unit=tree.hanoi, by=None)
    unit_dissolve(unit=tree.phucxa, on=datetime.date(2025, 7, 1))
    with pytest.raises(ValidationError):
        role_grant(user=user, role=Role.EDITOR, unit=tree.refresh().phucxa, by=None)


def test_revoke_is_logged_and_only_removes_that_grant(tree, hanoi_admin):
    editor = make_user("bientap")
    role_grant(user=editor, role=Role.EDITOR, unit=tree.hanoi, by=None)
    role_grant(user=editor, role=Role.EDITOR, unit=tree.dongda, by=None)

    assert role_revoke(user=editor, role=Role.EDITOR, unit=tree.dongda, by=hanoi_admin) is True
    assert role_revoke(user=editor, role=Role.EDITOR, unit=tree.dongda, by=hanoi_admin) is False
    # The province grant still covers Đống Đa.
    assert user_has_unit_perm(user=editor, perm=Perm.EDIT, unit=tree.dongda)
    revokes = RoleGrantLog.objects.filter(user=editor, action="revoke")
    assert [(r.unit, r.actor) for r in revokes] == [(tree.dongda, hanoi_admin)]


def test_revoke_outside_subtree_is_refused(tree, dongda_admin):
    editor = make_user("bientap")
    role_grant(user=editor, role=Role.EDITOR, unit=tree.hanoi, by=None)
    with pytest.raises(PermissionDenied):
        role_revoke(user=editor, role=Role.EDITOR, unit=tree.hanoi, by=dongda_admin)
    assert user_has_unit_perm(user=editor, perm=Perm.EDIT, unit=tree.hanoi)


# --- commands -------------------------------------------------------------------------------
def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_grant_and_revoke_commands(tree):
    user = make_user("bientap")
    assert "Granted editor" in run("grant_role", "bientap", "editor", "006")
    assert "already holds" in run("grant_role", "bientap", "editor", "--path", "ha-noi/quan-dong-da")
    log = RoleGrantLog.objects.get(user=user)
    assert log.actor is None and log.unit == tree.dongda

    assert "Revoked editor" in run("revoke_role", "bientap", "editor", "006", "--kind", "district")
    assert "nothing changed" in run("revoke_role", "bientap", "editor", "006")
    assert not units_for_user(user=user, perm=Perm.EDIT).exists()


def test_ambiguous_code_needs_kind(tree):
    # A commune coded like Hà Nội: codes are unique per kind only.
    unit_create(name="Xã Trùng Mã", kind=UnitKind.COMMUNE, parent=tree.refresh().badinh, code="01")
    make_user("bientap")
    with pytest.raises(CommandError, match="ambiguous.*--kind"):
        run("grant_role", "bientap", "editor", "01")
    assert "Granted" in run("grant_role", "bientap", "editor", "01", "--kind", "province")
    assert RoleGrantLog.objects.get().unit == tree.hanoi


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "editor", "006"], "Unknown user 'nobody'"),
        (["bientap", "chief", "006"], "Unknown role 'chief'"),
        (["bientap", "editor", "99999"], "No unit with code '99999'"),
        (["bientap", "editor", "006", "--kind", "province"], "No unit of kind 'province'"),
        (["bientap", "editor", "--path", "ha-noi/khong-co"], "No unit at path"),
        (["bientap", "editor"], "either UNIT_CODE or --path"),
        (["bientap", "editor", "006", "--path", "ha-noi"], "either UNIT_CODE or --path"),
    ],
)
@pytest.mark.parametrize("command", ["grant_role", "revoke_role"])
def test_commands_refuse_bad_input(tree, command, args, message):
    make_user("bientap")
    with pytest.raises(CommandError, match=message):
        run(command, *args)
    assert grant_count() == 0 and RoleGrantLog.objects.count() == 0


def test_command_exits_non_zero_on_bad_input(tree, capsys):
    # Through the command-line entry point: a CommandError becomes exit status 1, not a traceback.
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "grant_role", "nobody", "editor", "01"]).execute()
    assert exited.value.code == 1
    assert "Unknown user 'nobody'" in capsys.readouterr().err


# --- seed_demo ------------------------------------------------------------------------------
def test_seed_demo_refused_without_debug(tree, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only when DEBUG is on"):
        run("seed_demo")
    assert not User.objects.filter(username="quantri").exists()


def test_seed_demo_needs_the_tree(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="run import_units first"):
        run("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_creates_the_accounts_once(tree, settings):
    settings.DEBUG = True
    settings.VIETFRONT_DEMO_PASSWORD = "mat-khau-demo"
    out = run("seed_demo")
    for name in ("quantri", "duyet.hanoi", "bientap.dongda", "bientap.vanmieu", "quantri.hanoi"):
        assert name in out
    assert "mat-khau-demo" in out
    run("seed_demo")  # idempotent

    assert User.objects.get(username="quantri").is_superuser
    approver = User.objects.get(username="duyet.hanoi")
    assert approver.check_password("mat-khau-demo") and approver.is_staff
    assert (approver.last_name, approver.first_name) == ("Lê Minh", "Duyệt")  # Họ, Tên
    assert full_name(approver) == "Lê Minh Duyệt" and given_name(approver) == "Duyệt"
    assert user_has_unit_perm(user=approver, perm=Perm.APPROVE, unit=tree.vanmieu)
    assert set(
        granted := units_for_user(user=User.objects.get(username="bientap.dongda"), perm=Perm.EDIT)
    ) == {
        tree.dongda,
        tree.vanmieu,
        tree.langthuong,
    }, granted
    assert list(units_for_user(user=User.objects.get(username="bientap.vanmieu"), perm=Perm.EDIT)) == [
        tree.vanmieu
    ]
    assert user_has_unit_perm(
        user=User.objects.get(username="quantri.hanoi"), perm=Perm.ADMIN, unit=tree.phucxa
    )
    assert grant_count() == 4 and RoleGrantLog.objects.count() == 4


# --- admin ----------------------------------------------------------------------------------
def test_admin_form_offers_only_subtree_units(client, tree, dongda_admin):
    client.force_login(dongda_admin)
    response = client.get(reverse(ADD_URL))
    assert response.status_code == 200
    offered = set(response.context["adminform"].form.fields["unit"].queryset)
    assert offered == {tree.dongda, tree.vanmieu, tree.langthuong}


def test_admin_grant_through_the_form(client, tree, dongda_admin):
    editor = make_user("bientap.langthuong")
    client.force_login(dongda_admin)
    response = client.post(
        reverse(ADD_URL), {"username": editor.username, "role": "editor", "unit": tree.langthuong.pk}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert user_has_unit_perm(user=editor, perm=Perm.EDIT, unit=tree.langthuong)
    assert RoleGrantLog.objects.get(user=editor).actor == dongda_admin


def test_admin_crafted_post_for_an_outside_unit_is_refused(client, tree, dongda_admin):
    editor = make_user("bientap")
    client.force_login(dongda_admin)
    response = client.post(
        reverse(ADD_URL), {"username": editor.username, "role": "editor", "unit": tree.phucxa.pk}
    )
    assert response.status_code == 200  # the form again, with an error
    assert response.context["adminform"].form.errors["unit"]
    assert grant_count() == 1 and RoleGrantLog.objects.filter(user=editor).count() == 0


def test_admin_grant_list_and_log_are_scoped_to_the_subtree(client, tree, dongda_admin):
    inside, outside = make_user("trong"), make_user("ngoai")
    role_grant(user=inside, role=Role.EDITOR, unit=tree.vanmieu, by=None)
    role_grant(user=outside, role=Role.EDITOR, unit=tree.phucxa, by=None)
    client.force_login(dongda_admin)

    grants = client.get(reverse(GRANTS_URL))
    assert grants.status_code == 200
    shown = {g.user.username for g in grants.context["cl"].result_list}
    assert shown == {"trong", "quantri.dongda"}

    log = client.get(reverse(LOG_URL))
    assert log.status_code == 200
    assert {entry.user.username for entry in log.context["cl"].result_list} == {"trong", "quantri.dongda"}

    inside_grant = OrgUnitUserObjectPermission.objects.get(user=inside)
    view = client.get(reverse("admin:orgunits_orgunituserobjectpermission_change", args=[inside_grant.pk]))
    assert view.status_code == 200 and "Biên tập viên" in view.content.decode()

    outside_grant = OrgUnitUserObjectPermission.objects.get(user=outside)
    change_url = reverse("admin:orgunits_orgunituserobjectpermission_change", args=[outside_grant.pk])
    assert client.get(change_url).status_code in (302, 404)
    url = reverse("admin:orgunits_orgunituserobjectpermission_delete", args=[outside_grant.pk])
    assert client.post(url, {"post": "yes"}).status_code in (302, 403, 404)
    assert OrgUnitUserObjectPermission.objects.filter(pk=outside_grant.pk).exists()


def test_admin_revoke_goes_through_the_service(client, tree, hanoi_admin):
    editor = make_user("bientap")
    role_grant(user=editor, role=Role.EDITOR, unit=tree.vanmieu, by=None)
    grant = OrgUnitUserObjectPermission.objects.get(user=editor)
    client.force_login(hanoi_admin)
    response = client.post(
        reverse("admin:orgunits_orgunituserobjectpermission_delete", args=[grant.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not OrgUnitUserObjectPermission.objects.filter(pk=grant.pk).exists()
    assert RoleGrantLog.objects.filter(user=editor, action="revoke", actor=hanoi_admin).exists()


def test_role_log_is_read_only_even_for_superusers(client, tree, superuser, hanoi_admin):
    client.force_login(superuser)
    entry = RoleGrantLog.objects.get()
    assert client.get(reverse(LOG_URL)).status_code == 200
    assert client.get(reverse("admin:orgunits_rolegrantlog_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:orgunits_rolegrantlog_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    view = client.get(reverse("admin:orgunits_rolegrantlog_change", args=[entry.pk]))
    assert view.status_code == 200
    assert client.post(reverse("admin:orgunits_rolegrantlog_change", args=[entry.pk]), {}).status_code == 403
    assert RoleGrantLog.objects.filter(pk=entry.pk).exists()


def test_editor_sees_no_role_admin(client, tree):
    editor = make_user("bientap")
    role_grant(user=editor, role=Role.EDITOR, unit=tree.hanoi, by=None)
    client.force_login(editor)
    assert client.get(reverse(GRANTS_URL)).status_code == 403
    assert client.get(reverse(ADD_URL)).status_code == 403
    assert (
        client.post(
            reverse(ADD_URL), {"username": "bientap", "role": "unit_admin", "unit": tree.hanoi.pk}
        ).status_code
        == 403
    )
    assert not units_for_user(user=editor, perm=Perm.ADMIN).exists()


def test_superuser_form_offers_every_active_unit(client, tree, superuser):
    client.force_login(superuser)
    response = client.get(reverse(ADD_URL))
    assert set(response.context["adminform"].form.fields["unit"].queryset) == set(vars(tree).values())
