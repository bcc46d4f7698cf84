"""Second-factor pages: set up an authenticator app (TOTP), and verify a code each session.

Reached from ``SecondFactorRequiredMiddleware``; any signed-in user may use them. The QR code is
drawn locally with segno: the secret never leaves the server for a third-party QR service.
"""

from __future__ import annotations

import base64

import django_otp
import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import TokenForm

DEVICE_NAME = "authenticator"
# django-otp doubles the wait after each wrong code; say so rather than "wrong code" again.
THROTTLED = _lazy("Bạn vừa nhập sai mã. Vui lòng chờ vài giây rồi nhập mã mới.")


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _verified(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    django_otp.login(request, device)
    # A session that gains a second factor gets a new key, as it would on a password login.
    request.session.cycle_key()
    return HttpResponseRedirect(_next_url(request))


def _is_verified(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if _is_verified(request):
        return HttpResponseRedirect(next_url)
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).order_by("pk").first()
    if device is None:
        return HttpResponseRedirect(_with_next("orgunits:otp_setup", next_url))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not device.verify_is_allowed()[0]:
            form.add_error(None, THROTTLED)
        elif django_otp.verify_token(request.user, device.persistent_id, form.cleaned_data["token"]):
            return _verified(request, device)
        else:
            form.add_error("token", _("Mã xác thực không đúng hoặc đã hết hạn."))
    return render(request, "orgunits/otp_verify.html", {"form": form, "next": next_url})


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol the first authenticator. Once a device is confirmed this page only redirects:
    adding another device would let a stolen password bypass the existing one."""
    next_url = _next_url(request)
    user = request.user
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return HttpResponseRedirect(_with_next("orgunits:otp_verify", next_url))
    # Reuse the pending device so the secret shown on GET is the one checked on POST.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not device.verify_is_allowed()[0]:
            form.add_error(None, THROTTLED)
        elif device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return _verified(request, device)
        else:
            form.add_error("token", _("Mã xác thực không đúng. Hãy kiểm tra giờ trên điện thoại và thử lại."))
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(
            scale=5, title=_("Mã QR thiết lập xác thực hai lớp")
        ),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "orgunits/otp_setup.html", context)
