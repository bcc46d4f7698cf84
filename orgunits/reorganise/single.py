"""One change to the tree from the unit admin, as a one-operation plan.

The admin's rename, move, merge, split and dissolve build the same ``Operation`` a plan file
would hold and run it through ``run.reorganisation_run``: the preview is that run's dry run,
and applying it carries people and work exactly as the ``reorganise`` command does.
"""

from __future__ import annotations

import datetime
import logging

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect, AutocompleteSelectMultiple
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import OrgUnit
from .planfile import Operation, PlanFile, PlanFileError, PlanStopped
from .run import Outcome, reorganisation_run

logger = logging.getLogger(__name__)

OPERATION_TITLES = {
    "rename": _("Đổi tên đơn vị"),
    "move": _("Chuyển đơn vị sang đơn vị cấp trên khác"),
    "merge": _("Sáp nhập đơn vị vào đơn vị khác"),
    "split": _("Chia tách đơn vị"),
    "dissolve": _("Giải thể đơn vị"),
}

# The report's unit counters (English keys, as the command prints them) for the admin's page.
UNIT_COUNT_LABELS = {
    "created": _("đơn vị được tạo"),
    "renamed": _("đơn vị được đổi tên"),
    "moved": _("đơn vị được chuyển"),
    "merged away": _("đơn vị được sáp nhập"),
    "split": _("đơn vị được chia tách"),
    "dissolved": _("đơn vị bị giải thể"),
    "already done": _("thao tác đã có hiệu lực từ trước"),
}


class SingleChangeError(Exception):
    """The change cannot apply; ``messages`` are for the user (Vietnamese)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = messages


def _ref(unit: OrgUnit) -> tuple[str, str]:
    return unit.kind, unit.code


class _Base(forms.Form):
    effective_on = forms.DateField(label=_("Ngày có hiệu lực"), widget=AdminDateWidget)
    unit_fields: tuple[str, ...] = ()

    def __init__(self, *args, unit: OrgUnit, admin_site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.fields["effective_on"].initial = timezone.localdate()
        picker_field = OrgUnit._meta.get_field("parent")
        for name in self.unit_fields:
            field = self.fields[name]
            multiple = isinstance(field, forms.ModelMultipleChoiceField)
            widget = AutocompleteSelectMultiple if multiple else AutocompleteSelect
            field.widget = widget(picker_field, admin_site)
            field.widget.choices = field.choices  # the field binds its choices to its widget at init

    def clean(self) -> dict:
        data = super().clean()
        named = [self.unit]
        for name in self.unit_fields:
            value = data.get(name)
            if isinstance(value, OrgUnit):
                named.append(value)
            elif value is not None:
                named.extend(value)
        for unit in named:
            if not unit.code:
                raise forms.ValidationError(
                    _("Đơn vị “%(name)s” chưa có mã đơn vị hành chính nên không thể sắp xếp bằng chức năng này.")
                    % {"name": unit.name}
                )
        return data

    def operation(self) -> Operation:
        raise NotImplementedError


def _units():
    # Every unit, dissolved ones too: choosing one is refused by the tree services with their
    # own message rather than as an unknown choice.
    return OrgUnit.objects.order_by("tree_id", "lft")


class RenameForm(_Base):
    name = forms.CharField(label=_("Tên mới"), max_length=255)
    short_name = forms.CharField(label=_("Tên ngắn mới"), max_length=100, required=False,
                                 help_text=_("Để trống để giữ tên ngắn hiện tại."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].initial = self.unit.name

    def operation(self) -> Operation:
        d = self.cleaned_data
        return Operation("rename", _ref(self.unit), 0, name=d["name"].strip(), short_name=d["short_name"].strip())


class MoveForm(_Base):
    parent = forms.ModelChoiceField(label=_("Đơn vị cấp trên mới"), queryset=_units())
    unit_fields = ("parent",)

    def operation(self) -> Operation:
        return Operation("move", _ref(self.unit), 0, parent=_ref(self.cleaned_data["parent"]))


class MergeForm(_Base):
    into = forms.ModelChoiceField(label=_("Sáp nhập vào đơn vị"), queryset=_units())
    unit_fields = ("into",)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("into") is not None and data["into"].pk == self.unit.pk:
            self.add_error("into", _("Không thể sáp nhập một đơn vị vào chính nó."))
        return data

    def operation(self) -> Operation:
        return Operation("merge", _ref(self.cleaned_data["into"]), 0, sources=(_ref(self.unit),))


class SplitForm(_Base):
    parts = forms.ModelMultipleChoiceField(
        label=_("Các đơn vị nhận một phần"), queryset=_units(),
        help_text=_("Đơn vị cấp dưới là một trong các đơn vị này sẽ thế chỗ đơn vị bị chia tách."),
    )
    default = forms.ModelChoiceField(
        label=_("Đơn vị kế thừa mặc định"), queryset=_units(),
        help_text=_("Nhận các đơn vị cấp dưới còn lại, quyền, bài chưa đăng và hồ sơ chờ duyệt."),
    )
    unit_fields = ("parts", "default")

    def clean(self) -> dict:
        data = super().clean()
        parts = list(data.get("parts") or [])
        if any(p.pk == self.unit.pk for p in parts) or (data.get("default") and data["default"].pk == self.unit.pk):
            raise forms.ValidationError(_("Không thể chia tách một đơn vị vào chính nó."))
        return data

    def operation(self) -> Operation:
        d = self.cleaned_data
        parts = {_ref(p) for p in d["parts"]} | {_ref(d["default"])}
        return Operation("split", _ref(self.unit), 0, successor=_ref(d["default"]), parts=tuple(sorted(parts)))


class DissolveForm(_Base):
    successor = forms.ModelChoiceField(label=_("Đơn vị kế thừa"), queryset=_units(), required=False,
                                       help_text=_("Để trống nếu không có đơn vị nào kế thừa."))
    unit_fields = ("successor",)

    def operation(self) -> Operation:
        successor = self.cleaned_data.get("successor")
        return Operation("dissolve", _ref(self.unit), 0, successor=_ref(successor) if successor else None)


FORMS: dict[str, type[_Base]] = {
    "rename": RenameForm, "move": MoveForm, "merge": MergeForm, "split": SplitForm, "dissolve": DissolveForm,
}


def single_plan(form: _Base, *, by: str) -> PlanFile:
    op = form.operation()
    unit = form.unit
    name = f"admin {op.op} {unit.kind}:{unit.code} by {by}"[:200]
    effective_on: datetime.date = form.cleaned_data["effective_on"]
    return PlanFile(name=name, effective_on=effective_on, operations=(op,))


def single_change_run(form: _Base, *, by: str, dry_run: bool) -> Outcome:
    """Preview (``dry_run``) or apply the form's change; refusals as ``SingleChangeError``."""
    plan = single_plan(form, by=by)
    try:
        return reorganisation_run(plan=plan, dry_run=dry_run)
    except PlanStopped as exc:
        logger.info("Single reorganisation refused: %s", exc)
        raise SingleChangeError(exc.user_messages or [_("Thao tác bị từ chối.")]) from None
    except PlanFileError as exc:
        logger.warning("Single reorganisation refused: %s", exc)
        raise SingleChangeError([_("Không tìm thấy một trong các đơn vị đã chọn theo mã; hãy kiểm tra lại.")]) from None
