"""Login security at the request level: the client's address, and the second factor.

``client_ip_address`` is django-axes' ``AXES_CLIENT_IP_CALLABLE``: lockouts are keyed by
username and address, and behind a reverse proxy every request comes from the proxy.
``SecondFactorRequiredMiddleware`` sends approvers, unit admins and superusers who have not
verified a TOTP device in this session from the admin to the setup or verify page.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .models import OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission
from .roles import Perm

# Holding one of these anywhere makes a second factor mandatory when VIETFRONT_REQUIRE_2FA is on.
SECOND_FACTOR_PERMS = (Perm.APPROVE, Perm.ADMIN)

SESSION_KEY = "vietfront_2fa_required"
# A "not required" answer is re-checked after this long, so a user who becomes an approver
# mid-session is asked for the second factor within a minute; a "required" answer holds for
# the session (being asked once too often after a revoke costs nothing).
NOT_REQUIRED_TTL_SECONDS = 60


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address: from X-Forwarded-For only when ``VIETFRONT_PROXY_COUNT`` > 0.

    Each of N trusted proxies appends the address it received the request from, so the
    client is the N-th entry from the right; entries further left are whatever the client sent
    and cannot be trusted. With no proxy configured the header is ignored altogether, or anyone
    could pick the address their failed logins are counted against.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "VIETFRONT_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop for hop in (h.strip() for h in forwarded.split(",")) if hop]
        if hops:
            candidate = hops[-proxies] if len(hops) >= proxies else hops[0]
            ip = _valid_ip(candidate)
            if ip:
                return ip
    return _valid_ip(remote) or remote or None


def second_factor_required(user: AbstractBaseUser) -> bool:
    """Whether ``user`` must verify a TOTP device to use the admin: one query at most."""
    if not settings.VIETFRONT_REQUIRE_2FA or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    user_model = get_user_model()
    by_user = OrgUnitUserObjectPermission.objects.filter(
        user=OuterRef("pk"),
        permission__content_type__app_label="orgunits",
        permission__codename__in=SECOND_FACTOR_PERMS,
    )
    by_group = OrgUnitGroupObjectPermission.objects.filter(
        group__user=OuterRef("pk"),
        permission__content_type__app_label="orgunits",
        permission__codename__in=SECOND_FACTOR_PERMS,
    )
    return user_model._default_manager.filter(pk=user.pk).filter(Exists(by_user) | Exists(by_group)).exists()


def _required_cached(request: HttpRequest) -> bool:
    user = request.user
    if user.is_superuser:
        return True
    cached = request.session.get(SESSION_KEY)
    if cached and cached.get("uid") == user.pk and (cached["required"] or cached["until"] > time.time()):
        return cached["required"]
    required = second_factor_required(user)
    request.session[SESSION_KEY] = {
        "uid": user.pk,
        "required": required,
        "until": time.time() + NOT_REQUIRED_TTL_SECONDS,
    }
    return required


class SecondFactorRequiredMiddleware:
    """Hold back staff rights from approvers, unit admins and superusers who have not
    verified a TOTP device in this session.

    Staff-only areas (the admin, the dashboard and its exports) redirect them to the setup or
    verify page; everywhere else they are served as an anonymous visitor, so no staff-only
    content outside those areas (draft documents, previews reached by link, and whatever comes
    next) is reachable on the first factor alone. The account pages (the second factor's own
    forms) and the admin's login and logout stay reachable. Editors are never forced.

    Goes after ``django_otp.middleware.OTPMiddleware`` (which gives ``user.is_verified()``).
    Cost: nothing when the setting is off or for anonymous visitors; otherwise at most one
    query, whose answer is kept in the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        redirect = self._redirect_for(request)
        return redirect if redirect is not None else self.get_response(request)

    def _redirect_for(self, request: HttpRequest) -> HttpResponse | None:
        if not settings.VIETFRONT_REQUIRE_2FA:
            return None
        path = request.path_info
        if path in (reverse("admin:login"), reverse("admin:logout"),
                    reverse("orgunits:otp_verify"), reverse("orgunits:otp_setup")):
            return None
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return None  # the admin itself sends them to its login page
        is_verified = getattr(user, "is_verified", None)  # installed by OTPMiddleware
        if is_verified is not None and is_verified():
            return None
        if not _required_cached(request):
            return None
        if not path.startswith(_staff_prefixes()):
            request.user = AnonymousUser()
            return None
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('orgunits:otp_verify')}?{query}")


def _staff_prefixes() -> tuple[str, ...]:
    return (reverse("admin:index"), reverse("rollout:dashboard"))
