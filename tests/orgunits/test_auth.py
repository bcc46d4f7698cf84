"""Login security: django-axes lockout on the admin login, and the TOTP second factor."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm

from orgunits.middleware import client_ip_address, second_factor_required
from orgunits.roles import Perm, Role
from orgunits.services import role_grant

LOGIN = "/quan-tri/login/"
ADMIN = "/quan-tri/"


def totp_token(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def make_user(username: str, **extra) -> User:
    return User.objects.create_user(username=username, password="dung-mat-khau", **extra)


# --- django-axes ------------------------------------------------------------------------------
@pytest.fixture
def axes_limit(settings) -> int:
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def attempt(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": ADMIN}, **extra)


def test_successful_admin_login_goes_through_axes(client, tree):
    user = make_user("bientap", is_staff=True)
    response = attempt(client, user.username, "dung-mat-khau")
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


def test_lockout_after_the_failure_limit_with_a_vietnamese_page(client, db, axes_limit):
    make_user("bientap", is_staff=True)
    for _ in range(axes_limit - 1):
        response = attempt(client, "bientap", "sai")
        assert response.status_code == 200  # the login form again
    locked = attempt(client, "bientap", "sai")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Tài khoản tạm thời bị khóa" in page
    assert "Đăng nhập sai 3 lần" in page
    assert "Vui lòng thử lại sau 60 phút" in page
    assert '<html lang="vi">' in page
    # Even the right password is refused now.
    assert attempt(client, "bientap", "dung-mat-khau").status_code == 429


def test_lockout_is_keyed_by_username_and_address(client, db, axes_limit):
    make_user("bientap", is_staff=True)
    make_user("duyet", is_staff=True)
    for _ in range(axes_limit):
        attempt(client, "bientap", "sai", REMOTE_ADDR="10.0.0.1")
    assert attempt(client, "bientap", "dung-mat-khau", REMOTE_ADDR="10.0.0.1").status_code == 429
    # Same address, other account; same account, other address: not locked.
    assert attempt(client, "duyet", "dung-mat-khau", REMOTE_ADDR="10.0.0.1").status_code == 302
    client.logout()
    assert attempt(client, "bientap", "dung-mat-khau", REMOTE_ADDR="10.0.0.2").status_code == 302


def test_forwarded_for_is_ignored_without_a_proxy(client, db, axes_limit, settings):
    settings.VIETFRONT_PROXY_COUNT = 0
    make_user("bientap", is_staff=True)
    for n in range(axes_limit):
        attempt(client, "bientap", "sai", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    # A fresh forged address does not escape the lockout.
    assert attempt(client, "bientap", "dung-mat-khau", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_forwarded_for_names_the_client_behind_a_proxy(client, db, axes_limit, settings):
    settings.VIETFRONT_PROXY_COUNT = 1
    make_user("bientap", is_staff=True)
    for _ in range(axes_limit):
        attempt(client, "bientap", "sai", HTTP_X_FORWARDED_FOR="203.0.113.5", REMOTE_ADDR="10.0.0.1")
    assert attempt(client, "bientap", "dung-mat-khau", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert attempt(client, "bientap", "dung-mat-khau", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.1", "10.0.0.1"),
        (1, "1.2.3.4", "10.0.0.1", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "10.0.0.1", "1.2.3.4"),  # the left entry is the client's own claim
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.9", "10.0.0.1", "1.2.3.4"),
        (1, "not-an-ip", "10.0.0.1", "10.0.0.1"),
        (1, "", "10.0.0.1", "10.0.0.1"),
    ],
)
def test_client_ip_address(settings, proxies, forwarded, remote, expected):
    settings.VIETFRONT_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip_address(request) == expected


# --- second factor --------------------------------------------------------------------------
@pytest.fixture
def require_2fa(settings):
    settings.VIETFRONT_REQUIRE_2FA = True


@pytest.fixture
def approver(tree) -> User:
    user = make_user("duyet.hanoi")
    role_grant(user=user, role=Role.APPROVER, unit=tree.hanoi, by=None)
    return user


@pytest.fixture
def editor(tree) -> User:
    user = make_user("bientap.dongda")
    role_grant(user=user, role=Role.EDITOR, unit=tree.dongda, by=None)
    return user


def test_approver_without_device_is_sent_to_setup_and_confirms(client, require_2fa, approver, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the deliberate wrong code
    client.force_login(approver)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("orgunits:otp_verify"))

    response = client.get(response["Location"])
    assert response.status_code == 302
    setup_url = response["Location"]
    assert setup_url.startswith(reverse("orgunits:otp_setup"))

    page = client.get(setup_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Thiết lập xác thực hai lớp" in html and "<svg" in html
    device = TOTPDevice.objects.get(user=approver, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert secret and secret in html.replace(" ", "")

    wrong = client.post(setup_url, {"token": "000000" if totp_token(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "Mã xác thực không đúng" in wrong.content.decode()
    device.refresh_from_db()
    confirmed = client.post(setup_url, {"token": totp_token(device), "next": ADMIN})
    assert confirmed.status_code == 302 and confirmed["Location"] == ADMIN
    assert TOTPDevice.objects.get(user=approver).confirmed
    assert client.get(ADMIN).status_code == 200


def test_editor_is_not_forced(client, require_2fa, editor):
    client.force_login(editor)
    assert client.get(ADMIN).status_code == 200
    assert not second_factor_required(editor)


def test_nobody_is_forced_when_the_setting_is_off(client, settings, approver):
    settings.VIETFRONT_REQUIRE_2FA = False
    client.force_login(approver)
    assert client.get(ADMIN).status_code == 200


@pytest.mark.parametrize("kind", ["superuser", "unit_admin", "group_approver"])
def test_others_who_must_verify(client, require_2fa, tree, kind):
    if kind == "superuser":
        user = User.objects.create_superuser(username="root", password="x")
    elif kind == "unit_admin":
        user = make_user("quantri.dongda")
        role_grant(user=user, role=Role.UNIT_ADMIN, unit=tree.dongda, by=None)
    else:
        user = make_user("thanhvien", is_staff=True)
        group = Group.objects.create(name="Ban duyệt")
        user.groups.add(group)
        assign_perm(f"orgunits.{Perm.APPROVE}", group, tree.bacninh)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("orgunits:otp_verify") in response["Location"]


def test_verified_session_passes(client, require_2fa, approver):
    device = TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    client.force_login(approver)
    assert client.get(ADMIN).status_code == 302

    verify = reverse("orgunits:otp_verify")
    page = client.get(verify, {"next": ADMIN})
    assert page.status_code == 200 and "Xác thực hai lớp" in page.content.decode()
    bad = client.post(verify, {"token": "12345x", "next": ADMIN})
    assert bad.status_code == 200 and bad.context["form"].errors

    response = client.post(verify, {"token": totp_token(device), "next": ADMIN})
    assert response.status_code == 302 and response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200
    # Past the second factor the admin's own rights apply: an approver is not a unit admin.
    assert client.get(reverse("admin:orgunits_rolegrantlog_changelist")).status_code == 403
    # A confirmed device cannot be replaced from the setup page.
    again = client.get(reverse("orgunits:otp_setup"))
    assert again.status_code == 302 and TOTPDevice.objects.filter(user=approver).count() == 1


def test_a_token_cannot_be_replayed(client, require_2fa, approver):
    device = TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    token = totp_token(device)
    client.force_login(approver)
    assert client.post(reverse("orgunits:otp_verify"), {"token": token}).status_code == 302
    client.logout()
    client.force_login(approver)
    replay = client.post(reverse("orgunits:otp_verify"), {"token": token})
    assert replay.status_code == 200
    assert client.get(ADMIN).status_code == 302


def test_wrong_code_throttles_the_next_attempt(client, require_2fa, approver):
    device = TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    client.force_login(approver)
    verify = reverse("orgunits:otp_verify")
    wrong = "000000" if totp_token(device) != "000000" else "111111"
    assert "không đúng" in client.post(verify, {"token": wrong}).content.decode()
    throttled = client.post(verify, {"token": totp_token(device)})
    assert throttled.status_code == 200 and "chờ vài giây" in throttled.content.decode()
    assert client.get(ADMIN).status_code == 302


def test_verify_refuses_an_offsite_next(client, require_2fa, approver):
    device = TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    client.force_login(approver)
    response = client.post(
        reverse("orgunits:otp_verify"), {"token": totp_token(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_logout_stays_reachable(client, require_2fa, approver):
    client.force_login(approver)
    assert client.post(reverse("admin:logout")).status_code == 200


def test_second_factor_pages_need_a_login(client, db):
    response = client.get(reverse("orgunits:otp_setup"))
    assert response.status_code == 302 and re.match(r"^/quan-tri/login/", response["Location"])


def test_middleware_answer_is_one_query_then_cached(
    client, require_2fa, editor, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        assert second_factor_required(editor) is False
    client.force_login(editor)
    client.get(ADMIN)
    assert client.session["vietfront_2fa_required"]["required"] is False
