"""Forms of the orgunits app: granting a role in the admin, and the second-factor code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import OrgUnit, OrgUnitUserObjectPermission
from .roles import Role
from .services import role_change_check


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        # Indent by depth and show the code: many communes share a name across provinces.
        code = f" ({obj.code})" if obj.code else ""
        return f"{'— ' * obj.level}{obj.name}{code}"


class RoleGrantForm(forms.ModelForm):
    """Grant a role on a unit. ``units`` is the granter's subtree (all units for a superuser).

    The user is typed by username rather than picked from a list: there are tens of thousands
    of accounts, and a unit admin has no business browsing all of them.
    """

    username = forms.CharField(label=_("tên đăng nhập"), max_length=150)
    role = forms.ChoiceField(label=_("vai trò"), choices=Role.choices)
    unit = UnitChoiceField(label=_("đơn vị"), queryset=OrgUnit.objects.none())

    class Meta:
        model = OrgUnitUserObjectPermission
        fields: list[str] = []

    def __init__(
        self,
        *args: Any,
        granter: AbstractBaseUser | None = None,
        units: QuerySet | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.granter = granter
        # A picker that searches (``admin_autocomplete``): a unit admin of a province would
        # otherwise scroll a list of hundreds of units, the centre's of eleven thousand.
        self.fields["unit"].widget = AutocompleteSelect(
            OrgUnitUserObjectPermission._meta.get_field("content_object"), admin.site,
            attrs={"data-placeholder": _("Gõ tên hoặc mã đơn vị")},
        )
        if units is not None:
            self.fields["unit"].queryset = units.active().order_by("tree_id", "lft")

    def clean_username(self) -> AbstractBaseUser:
        username = self.cleaned_data["username"].strip()
        user = get_user_model()._default_manager.filter(username=username, is_active=True).first()
        if user is None:
            raise ValidationError(
                _("Không có tài khoản đang hoạt động nào tên “%(name)s”.") % {"name": username}
            )
        return user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("unit") is not None and data.get("role"):
            # The same check the service makes, so a refusal shows in the form, not as a 403.
            try:
                role_change_check(role=data["role"], unit=data["unit"], by=self.granter)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
            except PermissionDenied as exc:
                raise ValidationError(str(exc) or _("Bạn không có quyền thực hiện thao tác này.")) from exc
        return data


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise ValidationError(_("Mã xác thực chỉ gồm chữ số."))
        return token
