import datetime

from django import forms
from django.utils import translation


class _When(forms.Form):
    day = forms.DateField()
    at = forms.DateTimeField()


def test_vietnamese_dates_are_accepted_as_typed():
    with translation.override("vi"):
        form = _When(data={"day": "29/11/2026", "at": "29/11/2026 08:30"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == datetime.date(2026, 11, 29)
    assert form.cleaned_data["at"].strftime("%d/%m %H:%M") == "29/11 08:30"
