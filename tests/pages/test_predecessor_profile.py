"""After a reorganisation, the successor's unit admin keeps one predecessor's page profile:
who may, what is copied (images into the successor's own library), what stays, and the history
that lets a wrong choice be undone."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from orgunits.models import OrgUnit
from orgunits.services import unit_dissolve
from pages import services
from pages.models import CommunityPage, MediaImage
from pages.profile_take import PROFILE_FIELDS

from .conftest import make_image, make_user

pytestmark = pytest.mark.django_db

ON = datetime.date(2025, 7, 1)
SCRIPT = "<script>alert('x')</script>"


def take_url(page: CommunityPage) -> str:
    return reverse("admin:pages_communitypage_profile_take", args=[page.pk])


def change_url(page: CommunityPage) -> str:
    return reverse("admin:pages_communitypage_change", args=[page.pk])


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def profile(page: CommunityPage) -> dict:
    page = fresh(page)
    return {
        name: getattr(page, f"{name}_id" if name in ("avatar", "cover") else name) for name in PROFILE_FIELDS
    }


@pytest.fixture
def reform(tree):
    """Văn Miếu took over Láng Thượng (same district) and Phúc Xá (another district); each
    predecessor has a page with a profile; Văn Miếu's page was set up with its own."""
    successor = services.page_create(
        unit=tree.vanmieu,
        by=None,
        display_name="MTTQ phường Văn Miếu",
        about="Giới thiệu cũ của Văn Miếu",
        phone="024 111 111",
        email="vanmieu@mattran.example.vn",
    )
    successor.avatar = make_image(tree.vanmieu, alt="Logo Văn Miếu")
    successor.save()
    langthuong = services.page_create(
        unit=tree.langthuong,
        by=None,
        display_name="MTTQ phường Láng Thượng",
        about=f"Mặt trận phường Láng Thượng.\n{SCRIPT}",
        address="Số 1 Chùa Láng",
        phone="024 222 222",
        email="langthuong@mattran.example.vn",
        zalo_url="https://zalo.me/123456",
        facebook_url="https://www.facebook.com/mttq.langthuong",
    )
    langthuong.avatar = make_image(tree.langthuong, alt="Logo Láng Thượng")
    langthuong.cover = make_image(tree.langthuong, alt="Bìa Láng Thượng", size=(1200, 400))
    langthuong.save()
    phucxa = services.page_create(
        unit=tree.phucxa, by=None, display_name="MTTQ phường Phúc Xá", phone="024 333 333"
    )
    unit_dissolve(unit=tree.langthuong, on=ON, successor=tree.vanmieu)
    unit_dissolve(unit=tree.phucxa, on=ON, successor=tree.vanmieu)
    tree.refresh()
    return {"successor": fresh(successor), "langthuong": fresh(langthuong), "phucxa": fresh(phucxa)}


@pytest.fixture
def unit_admin(tree):
    """Unit admin of Văn Miếu and nothing else (not an editor: the copy needs only the admin role)."""
    return make_user("qt_vanmieu", ("admin_unit", tree.vanmieu))


def group_member(username: str, group_name: str, perm: str, unit):
    """A user whose only role comes through a group."""
    group = Group.objects.create(name=group_name)
    assign_perm(f"orgunits.{perm}", group, unit)
    user = make_user(username)
    user.groups.add(group)
    return user


def group_admin(tree):
    return group_member("qt_nhom_dongda", "Quản trị Đống Đa", "admin_unit", tree.dongda)


def take_all(client: Client, page: CommunityPage, source: CommunityPage, **extra):
    return client.post(take_url(page), {"source": source.pk, "take": list(PROFILE_FIELDS), **extra})


# --- the view ---------------------------------------------------------------------------------


def test_lists_every_predecessor_profile_beside_the_successors_escaped(
    client, tree, reform, unit_admin, django_assert_num_queries
):
    client.force_login(unit_admin)
    # session, user, rights, the page (unit, images joined), predecessors, their pages (the same)
    with django_assert_num_queries(6):
        response = client.get(take_url(reform["successor"]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "MTTQ phường Văn Miếu",
        "MTTQ phường Láng Thượng",
        "MTTQ phường Phúc Xá",
        "Số 1 Chùa Láng",
        "https://zalo.me/123456",
        "https://www.facebook.com/mttq.langthuong",
        "024 333 333",
        "Hiện tại (trang này)",
        "Giữ hồ sơ này",
    ):
        assert text in body
    assert SCRIPT not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    langthuong = reform["langthuong"]
    assert f'src="{langthuong.avatar.file.url}"' in body and f'src="{langthuong.cover.file.url}"' in body
    assert f'name="source" value="{langthuong.pk}"' in body
    assert response["Cache-Control"].startswith("max-age=0")


def test_query_count_does_not_grow_with_the_predecessors(
    client, tree, reform, unit_admin, django_assert_num_queries
):
    from orgunits.models import UnitKind
    from orgunits.services import unit_create

    extra = unit_create(name="Phường Ô Chợ Dừa", kind=UnitKind.COMMUNE, parent=tree.dongda, code="00190")
    services.page_create(unit=extra, by=None, display_name="MTTQ phường Ô Chợ Dừa")
    unit_dissolve(unit=extra, on=ON, successor=fresh(tree.vanmieu))
    client.force_login(unit_admin)
    with django_assert_num_queries(6):
        body = client.get(take_url(reform["successor"])).content.decode()
    assert "MTTQ phường Ô Chợ Dừa" in body


def test_change_form_links_to_it_only_for_who_may_use_it(
    client, tree, reform, unit_admin, pages_badinh_admin
):
    client.force_login(unit_admin)
    assert take_url(reform["successor"]) in client.get(change_url(reform["successor"])).content.decode()
    # An editor of the unit opens the page read-only: no link.
    client.force_login(make_user("bt_vanmieu", ("edit_content", tree.vanmieu)))
    body = client.get(change_url(reform["successor"])).content.decode()
    assert "Mặt trận" in body or "MTTQ" in body
    assert take_url(reform["successor"]) not in body
    # A page whose unit took nothing over: no link.
    admin, page = pages_badinh_admin
    client.force_login(admin)
    body = client.get(change_url(page)).content.decode()
    assert "lay-ho-so" not in body and "Lấy hồ sơ từ trang của đơn vị cũ" not in body


@pytest.fixture
def pages_badinh_admin(tree):
    page = services.page_create(unit=tree.badinh, by=None, display_name="MTTQ quận Ba Đình")
    return make_user("qt_badinh", ("admin_unit", tree.badinh)), page


# --- the copy ---------------------------------------------------------------------------------


def test_taking_everything_copies_the_profile_and_keeps_the_predecessor(
    client, tree, reform, unit_admin, django_capture_on_commit_callbacks
):
    successor, langthuong = reform["successor"], reform["langthuong"]
    kept = profile(langthuong)
    old_avatar = successor.avatar
    client.force_login(unit_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = take_all(client, successor, langthuong)
    assert response.status_code == 302 and response["Location"] == change_url(successor)
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Đã lấy hồ sơ từ trang “MTTQ phường Láng Thượng” (9 mục thay đổi).")
    page = fresh(successor)
    for name in ("display_name", "about", "address", "phone", "email", "zalo_url", "facebook_url"):
        assert getattr(page, name) == getattr(langthuong, name), name
    # The images are copies in Văn Miếu's own library, with the same bytes and description.
    for name in ("avatar", "cover"):
        copy, original = getattr(page, name), getattr(langthuong, name)
        assert copy.pk != original.pk and copy.unit_id == tree.vanmieu.pk
        assert (copy.alt_text, copy.credit, copy.width, copy.height) == (
            original.alt_text,
            original.credit,
            original.width,
            original.height,
        )
        with copy.file.open("rb") as a, original.file.open("rb") as b:
            assert a.read() == b.read()
        assert copy.renditions.exists()  # made after the commit, as for any upload
    # The predecessor's page is history: unchanged. Văn Miếu's old avatar stays in its library.
    assert profile(langthuong) == kept
    assert MediaImage.objects.filter(pk=old_avatar.pk, unit=tree.vanmieu).exists()
    # The old values are in the admin history, in full.
    entry = LogEntry.objects.get(object_id=str(successor.pk), action_flag=CHANGE)
    assert entry.user == unit_admin
    message = entry.get_change_message()
    for old in (
        "“MTTQ phường Văn Miếu”",
        "“Giới thiệu cũ của Văn Miếu”",
        "“024 111 111”",
        "“vanmieu@mattran.example.vn”",
        f"#{old_avatar.pk} “Logo Văn Miếu”",
    ):
        assert old in message
    assert "“024 111 111” → “024 222 222”" in message
    assert f"(bản sao của ảnh #{langthuong.avatar_id})" in message
    history = client.get(reverse("admin:pages_communitypage_history", args=[successor.pk])).content.decode()
    assert "Giới thiệu cũ của Văn Miếu" in history and SCRIPT not in history


def test_the_successor_renders_and_saves_the_copied_images(client, tree, reform):
    """Why copies: the change form accepts only the unit's own images."""
    user = make_user("qt_bt_vanmieu", ("admin_unit", tree.vanmieu), ("edit_content", tree.vanmieu))
    client.force_login(user)
    assert take_all(client, reform["successor"], reform["langthuong"]).status_code == 302
    page = fresh(reform["successor"])
    cache.clear()
    public = client.get(page.get_absolute_url()).content.decode()
    # No renditions yet (the task runs after the commit): the tag falls back to the copy itself.
    assert f'src="{page.avatar.file.url}"' in public and f'src="{page.cover.file.url}"' in public
    assert f"/images/{tree.vanmieu.pk}/" in page.avatar.file.url
    form = {
        "display_name": page.display_name,
        "about": page.about,
        "address": page.address,
        "phone": page.phone,
        "email": page.email,
        "zalo_url": page.zalo_url,
        "facebook_url": page.facebook_url,
        "new_status": "",
        "status_reason": "",
        "avatar": page.avatar_id,
        "cover": page.cover_id,
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    response = client.post(change_url(page), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # The predecessor's own image would have been refused.
    response = client.post(change_url(page), {**form, "avatar": reform["langthuong"].avatar_id})
    assert response.status_code == 200 and response.context["adminform"].form.errors["avatar"]


def test_taking_some_fields_changes_only_those(client, tree, reform, unit_admin):
    successor, phucxa = reform["successor"], reform["phucxa"]
    before = profile(successor)
    client.force_login(unit_admin)
    response = client.post(take_url(successor), {"source": phucxa.pk, "take": ["display_name", "phone"]})
    assert response.status_code == 302
    assert profile(successor) == {**before, "display_name": "MTTQ phường Phúc Xá", "phone": "024 333 333"}
    entry = LogEntry.objects.get(object_id=str(successor.pk))
    assert entry.get_change_message() == (
        f"Lấy hồ sơ từ trang “MTTQ phường Phúc Xá” (Phường Phúc Xá, trang #{phucxa.pk}). "
        "Tên hiển thị: “MTTQ phường Văn Miếu” → “MTTQ phường Phúc Xá”. Điện thoại: “024 111 111” → “024 333 333”."
    )


def test_an_empty_field_of_the_predecessor_empties_it_and_the_history_keeps_it(
    client, tree, reform, unit_admin
):
    successor = reform["successor"]
    client.force_login(unit_admin)
    assert (
        client.post(
            take_url(successor), {"source": reform["phucxa"].pk, "take": ["email", "avatar"]}
        ).status_code
        == 302
    )
    page = fresh(successor)
    assert page.email == "" and page.avatar is None
    message = LogEntry.objects.get(object_id=str(successor.pk)).get_change_message()
    assert (
        "“vanmieu@mattran.example.vn” → “”" in message
        and f"#{successor.avatar_id} “Logo Văn Miếu” → —" in message
    )


def test_taking_the_same_profile_twice_changes_nothing_the_second_time(client, tree, reform, unit_admin):
    successor, phucxa = reform["successor"], reform["phucxa"]
    client.force_login(unit_admin)
    client.post(take_url(successor), {"source": phucxa.pk, "take": ["display_name", "phone"]})
    response = client.post(take_url(successor), {"source": phucxa.pk, "take": ["display_name", "phone"]})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == (
        "Không có gì thay đổi: hồ sơ đã giống trang “MTTQ phường Phúc Xá”."
    )
    assert LogEntry.objects.filter(object_id=str(successor.pk)).count() == 1


def test_a_unit_admin_through_a_group_may(client, tree, reform):
    client.force_login(group_admin(tree))
    assert client.get(take_url(reform["successor"])).status_code == 200
    assert take_all(client, reform["successor"], reform["phucxa"]).status_code == 302
    assert fresh(reform["successor"]).display_name == "MTTQ phường Phúc Xá"


def test_csrf_is_required(tree, reform, unit_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(unit_admin)
    before = profile(reform["successor"])
    assert take_all(client, reform["successor"], reform["langthuong"]).status_code == 403
    assert profile(reform["successor"]) == before


# --- refusals ---------------------------------------------------------------------------------


def _editor_of_vanmieu(tree):
    return make_user("bt_vanmieu", ("edit_content", tree.vanmieu))


def _admin_of_bacninh(tree):
    return make_user("qt_bacninh", ("admin_unit", tree.bacninh))


def _editor_here_admin_elsewhere(tree):
    """Roles on several units: editor of Văn Miếu, unit admin of Ba Đình and of Bắc Ninh."""
    return make_user(
        "bt_vanmieu_qt_badinh",
        ("edit_content", tree.vanmieu),
        ("admin_unit", tree.badinh),
        ("admin_unit", tree.bacninh),
    )


def _admin_of_the_predecessor_only(tree):
    """Unit admin of Láng Thượng (dissolved) and of Ba Đình: not of the successor."""
    return make_user("qt_langthuong", ("admin_unit", fresh(tree.langthuong)), ("admin_unit", tree.badinh))


def _group_editor_of_hanoi(tree):
    return group_member("bt_nhom_hanoi", "Biên tập Hà Nội", "edit_content", tree.hanoi)


def _staff_without_roles(tree):
    return make_user("khong_vai_tro")


def _non_staff_unit_admin(tree):
    return make_user("qt_khong_staff", ("admin_unit", tree.vanmieu), staff=False)


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (_editor_of_vanmieu, 403),
        (_group_editor_of_hanoi, 403),
        (_editor_here_admin_elsewhere, 403),
        (_admin_of_bacninh, 404),
        (_admin_of_the_predecessor_only, 404),
        (_staff_without_roles, 404),
        (_non_staff_unit_admin, 302),
    ],
)
def test_refused_without_the_admin_role_on_the_successor(client, tree, reform, make, status):
    successor = reform["successor"]
    before, kept = profile(successor), profile(reform["langthuong"])
    client.force_login(make(tree))
    get, post = client.get(take_url(successor)), take_all(client, successor, reform["langthuong"])
    assert (get.status_code, post.status_code) == (status, status)
    if status == 302:
        assert "/login/" in get["Location"] and "/login/" in post["Location"]
    assert profile(successor) == before and profile(reform["langthuong"]) == kept
    assert not LogEntry.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, reform):
    response = client.get(take_url(reform["successor"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_page_that_is_not_a_predecessors_is_a_form_error(
    client, tree, reform, unit_admin, pages_badinh_admin
):
    """Any page but this unit's predecessors' (an active unit's, or a dissolved unit's that went
    to another successor, or none at all) is refused alike, as a choice not offered."""
    successor = reform["successor"]
    other = services.page_create(unit=tree.vuninh, by=None, display_name="MTTQ phường Vũ Ninh")
    unit_dissolve(unit=fresh(tree.vuninh), on=ON, successor=fresh(tree.badinh))
    _admin, badinh = pages_badinh_admin
    before = profile(successor)
    client.force_login(unit_admin)
    for source in (badinh.pk, other.pk, successor.pk, 999_999, "x"):
        response = client.post(take_url(successor), {"source": source, "take": list(PROFILE_FIELDS)})
        assert response.status_code == 200
        assert response.context["form"].errors["source"] == [
            "Trang đã chọn không phải của đơn vị cũ của đơn vị này."
        ]
    assert profile(successor) == before and not LogEntry.objects.exists()
    assert not MediaImage.objects.filter(unit=tree.vanmieu).exclude(pk=before["avatar"]).exists()


def test_no_choice_or_no_field_is_a_form_error(client, tree, reform, unit_admin):
    successor = reform["successor"]
    before = profile(successor)
    client.force_login(unit_admin)
    response = client.post(take_url(successor), {"take": ["phone"]})
    assert response.status_code == 200
    assert response.context["form"].errors["source"] == ["Hãy chọn trang có hồ sơ muốn giữ."]
    response = client.post(take_url(successor), {"source": reform["phucxa"].pk})
    assert response.context["form"].errors["take"] == ["Hãy chọn ít nhất một mục."]
    response = client.post(take_url(successor), {"source": reform["phucxa"].pk, "take": ["status"]})
    assert response.status_code == 200 and response.context["form"].errors["take"]
    assert profile(successor) == before


def test_a_unit_without_predecessors_is_not_found(client, tree, reform, pages_badinh_admin, superuser):
    admin, page = pages_badinh_admin
    for user in (admin, superuser):
        client.force_login(user)
        assert client.get(take_url(page)).status_code == 404
        assert (
            client.post(take_url(page), {"source": reform["phucxa"].pk, "take": ["phone"]}).status_code == 404
        )
    assert fresh(page).phone == ""


def test_a_unit_whose_predecessors_had_no_page_is_not_found(client, tree, pages_badinh_admin):
    admin, page = pages_badinh_admin
    unit_dissolve(unit=tree.phucxa, on=ON, successor=tree.badinh)  # Phúc Xá never had a page
    assert OrgUnit.objects.get(pk=tree.badinh.pk).has_predecessors
    client.force_login(admin)
    assert client.get(take_url(page)).status_code == 404
    assert take_url(page) not in client.get(change_url(page)).content.decode()


def test_unknown_page_id_is_not_found(client, reform, unit_admin):
    client.force_login(unit_admin)
    assert client.get(reverse("admin:pages_communitypage_profile_take", args=["999999"])).status_code == 404
    assert client.get(reverse("admin:pages_communitypage_profile_take", args=["abc"])).status_code == 404


# --- the service's own checks (the view's form already offers only predecessors) --------------


def test_the_service_refuses_a_page_that_is_not_a_predecessors(tree, reform, unit_admin, pages_badinh_admin):
    from django.core.exceptions import ValidationError

    from pages.profile_take import page_profile_take

    _admin, badinh = pages_badinh_admin
    before = profile(reform["successor"])
    for source in (badinh, reform["successor"]):
        with pytest.raises(ValidationError) as exc:
            page_profile_take(
                page=reform["successor"], source=fresh(source), fields=PROFILE_FIELDS, by=unit_admin
            )
        assert exc.value.code == "not_predecessor"
    assert profile(reform["successor"]) == before


def test_the_service_refuses_without_the_admin_role_before_copying_anything(tree, reform, settings):
    """Refused before any image file is written: a rolled-back transaction would not remove it."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from pages.profile_take import page_profile_take

    library = settings.MEDIA_ROOT / "images" / str(tree.vanmieu.pk)
    files = sorted(library.iterdir())
    editor = make_user("bt_vanmieu", ("edit_content", tree.vanmieu), ("admin_unit", fresh(tree.langthuong)))
    with pytest.raises(PermissionDenied), transaction.atomic():
        page_profile_take(
            page=reform["successor"], source=reform["langthuong"], fields=PROFILE_FIELDS, by=editor
        )
    assert sorted(library.iterdir()) == files
    assert profile(reform["successor"])["phone"] == "024 111 111"
    assert MediaImage.objects.filter(unit=tree.vanmieu).count() == 1


def test_taking_the_images_twice_makes_one_copy(client, tree, reform, unit_admin):
    successor, langthuong = reform["successor"], reform["langthuong"]
    client.force_login(unit_admin)
    assert take_all(client, successor, langthuong).status_code == 302
    library = set(MediaImage.objects.filter(unit=tree.vanmieu).values_list("pk", flat=True))
    response = take_all(client, successor, langthuong)
    assert [str(m) for m in get_messages(response.wsgi_request)][-1].startswith("Không có gì thay đổi")
    assert set(MediaImage.objects.filter(unit=tree.vanmieu).values_list("pk", flat=True)) == library
    assert LogEntry.objects.filter(object_id=str(successor.pk)).count() == 1
