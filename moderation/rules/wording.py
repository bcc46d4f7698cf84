"""Words that must not appear: admins' banned-term lists, and press-outlet wording.

Matching semantics (whole words, marks) are those of ``moderation.rules.text.Phrase``.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import ContentForReview, Finding, Rule, Severity, register
from .context import RegulationContext
from .text import Phrase, fold_with_map

_SEVERITY_RANK = {Severity.BLOCK: 0, Severity.WARN: 1}


@register
class BannedTermsRule(Rule):
    """Terms from the lists admins edit; each term carries its own severity."""

    code = "banned_terms"
    label = _("Từ ngữ cấm theo danh mục")

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        if not context.banned_terms:
            return []
        # Two terms may hit the same passage ("dong" and "đồng"): report it once, at the
        # stricter severity.
        hits: dict[tuple[str, int, int], Finding] = {}
        for source in content.public_texts():
            folded = fold_with_map(source.text)
            for term in context.banned_terms:
                for start, end in term.phrase.find(source.text, folded):
                    message = (
                        gettext("%(field)s: có từ ngữ thuộc danh mục cấm “%(passage)s” (%(category)s).")
                        if term.category_label
                        else gettext("%(field)s: có từ ngữ thuộc danh mục cấm “%(passage)s”.")
                    )
                    finding = self.text_finding(
                        source, start, end, message, severity=term.severity, category=term.category_label
                    )
                    key = (source.field, start, end)
                    if (
                        key not in hits
                        or _SEVERITY_RANK[finding.severity] < _SEVERITY_RANK[hits[key].severity]
                    ):
                        hits[key] = finding
        return list(hits.values())


# Decree 147/2024/NĐ-CP: a community page is not a press agency and must not present itself
# as one. These phrases are fine when they name a real outlet ("theo báo điện tử Chính phủ"),
# so they only warn and the approver decides.
PRESS_PHRASES = tuple(
    Phrase(p)
    for p in ("báo điện tử", "tạp chí", "tòa soạn", "phóng viên", "tổng biên tập", "cơ quan báo chí")
)


@register
class PressOutletWordingRule(Rule):
    code = "press_wording"
    label = _("Từ ngữ khiến trang cộng đồng bị hiểu là cơ quan báo chí")
    default_severity = Severity.WARN

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        message = gettext(
            "%(field)s: có cụm từ “%(passage)s” — trang cộng đồng không phải cơ quan báo chí và "
            "không được dùng từ ngữ khiến người đọc hiểu như vậy (Nghị định 147/2024/NĐ-CP). "
            "Nếu cụm từ nói về một cơ quan báo chí khác, người duyệt có thể bỏ qua."
        )
        findings = []
        # The name of an external source may well be a newspaper; that is citing, not posing.
        for source in content.public_texts(include_source=not content.is_external):
            folded = fold_with_map(source.text)
            for phrase in PRESS_PHRASES:
                findings.extend(
                    self.text_finding(source, start, end, message)
                    for start, end in phrase.find(source.text, folded)
                )
        return findings
