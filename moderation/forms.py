"""Admin forms of the regulation's configuration."""

from django import forms

from .models import RuleSetting
from .rules import rule_choices


class RuleSettingForm(forms.ModelForm):
    """Offer the rules that exist in code; the model keeps ``code`` free of choices so adding
    a rule needs no migration."""

    class Meta:
        model = RuleSetting
        fields = ["code", "is_enabled", "severity", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = rule_choices()
        current = self.instance.code if self.instance.pk else ""
        if current and current not in dict(choices):
            choices.append((current, current))  # a rule since removed from code stays editable
        self.fields["code"] = forms.ChoiceField(
            label=self.fields["code"].label, choices=choices, disabled=bool(self.instance.pk)
        )
