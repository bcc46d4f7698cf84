"""The connection form: tokens are write-only fields, encrypted by the service on save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import crypto
from .models import ChannelConnection, Platform


class ChannelConnectionForm(forms.ModelForm):
    access_token = forms.CharField(
        label=_("Mã truy cập mới (access token)"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Page access token của Trang, hoặc access token của OA. Không bao giờ hiển thị lại; "
                    "để trống nếu giữ mã đang lưu."),
    )
    refresh_token = forms.CharField(
        label=_("Mã làm mới (refresh token)"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Chỉ Zalo OA: dùng để tự gia hạn mã truy cập."),
    )

    class Meta:
        model = ChannelConnection
        fields = ("unit", "platform", "external_id", "name")

    def clean_external_id(self) -> str:
        value = self.cleaned_data["external_id"].strip()
        if not value.isdigit():
            raise forms.ValidationError(_("Mã trang / mã OA chỉ gồm chữ số."))
        return value

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and not cleaned.get("access_token"):
            self.add_error("access_token", _("Cần mã truy cập để kết nối kênh."))
        if cleaned.get("refresh_token") and cleaned.get("platform") != Platform.ZALO:
            self.add_error("refresh_token", _("Chỉ Zalo OA dùng mã làm mới."))
        if cleaned.get("access_token") or cleaned.get("refresh_token"):
            try:
                crypto.encrypt("probe")
            except crypto.ChannelKeyError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned
