"""How a title must look: a sensible length, and ordinary Vietnamese capitalisation."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vietfront.text import nfc

from .base import ContentForReview, Finding, Rule, Severity, register
from .context import RegulationContext


@register
class TitleLengthRule(Rule):
    code = "title.length"
    label = _("Độ dài tiêu đề")
    min_length = 10
    max_length = 150

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        title = nfc(" ".join((content.title or "").split()))
        # An empty title is the required-fields rule's finding; one message per problem.
        if not title or self.min_length <= len(title) <= self.max_length:
            return []
        return [
            self.finding(
                field="title",
                message=gettext("Tiêu đề: dài %(length)d ký tự, cần từ %(min)d đến %(max)d ký tự.")
                % {"length": len(title), "min": self.min_length, "max": self.max_length},
            )
        ]


@register
class TitleAllCapsRule(Rule):
    """ "ĐẠI HỘI MẶT TRẬN" shouts; Python's ``isupper`` knows Vietnamese capitals with marks.

    Short acronyms ("MTTQ") inside an ordinary title are fine: only a title whose every
    letter is a capital is reported.
    """

    code = "title.all_caps"
    label = _("Tiêu đề viết toàn chữ in hoa")
    default_severity = Severity.WARN
    min_letters = 4

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        letters = [c for c in nfc(content.title or "") if c.isalpha()]
        if len(letters) < self.min_letters or not all(c.isupper() for c in letters):
            return []
        return [
            self.finding(
                field="title",
                message=gettext(
                    "Tiêu đề: viết toàn chữ in hoa — hãy viết hoa theo chính tả tiếng Việt "
                    "(chữ đầu câu và tên riêng)."
                ),
            )
        ]
