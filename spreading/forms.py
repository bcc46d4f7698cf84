"""Staff forms of spreading: what to spread where, a proposal's target, a refusal's reason."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.utils.translation import gettext_lazy as _

from orgunits.models import OrgUnit, UnitKind

from .models import Delivery, Scope

KIND_CHOICES = [(k.value, k.label) for k in (UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE)]


class SpreadForm(forms.Form):
    from_unit = forms.ModelChoiceField(label=_("Gửi từ đơn vị"), queryset=OrgUnit.objects.none())
    scope = forms.ChoiceField(label=_("Gửi đến"), choices=Scope.choices, initial=Scope.SUBTREE,
                              widget=forms.RadioSelect)
    kinds = forms.MultipleChoiceField(
        label=_("Các cấp"), choices=KIND_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Cùng với “Các đơn vị được chọn”: các đơn vị thuộc những cấp này nằm trong các đơn vị đã chọn "
                    "(ví dụ mọi xã, phường của một quận)."),
    )
    units = forms.ModelMultipleChoiceField(label=_("Các đơn vị"), queryset=OrgUnit.objects.none(), required=False)
    ask_confirmation = forms.BooleanField(
        label=_("Đơn vị nhận phải xác nhận trước khi hiển thị"), required=False,
        help_text=_("Mặc định bài hiển thị ngay trên trang của đơn vị nhận."),
    )
    note = forms.CharField(label=_("Ghi chú cho đơn vị nhận"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, senders, pickable, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_unit"].queryset = senders
        # The picker asks the delivery admin for its choices (units where the user may send):
        # a <select> of every unit below the centre would be 10,000 options. The queryset is set
        # after the widget, which takes its choices from it.
        self.fields["units"].widget = AutocompleteSelectMultiple(Delivery._meta.get_field("unit"), admin_site)
        self.fields["units"].queryset = pickable


class ProposeForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("Đề xuất lên trang của"), queryset=OrgUnit.objects.none())
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ancestors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = ancestors


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 3}))
