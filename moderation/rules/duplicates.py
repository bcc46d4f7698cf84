"""A post already published in the same subtree should not go out twice."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import ContentForReview, Finding, Rule, Severity, register
from .context import RegulationContext


@register
class DuplicateInSubtreeRule(Rule):
    """Asks ``context.find_duplicates`` (supplied by the workflow, which knows posts and the
    tree); without it there is nothing to compare with and the rule stays silent."""

    code = "duplicate"
    label = _("Trùng bài đã đăng trong cùng hệ thống")
    default_severity = Severity.WARN

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        if context.find_duplicates is None:
            return []
        return [
            self.finding(
                field="title",
                message=gettext(
                    "Tiêu đề: trùng với bài đã đăng “%(title)s” (%(url)s) — người duyệt cần xem có phải "
                    "đăng lại không."
                )
                % {"title": title, "url": url},
                passage=title,
            )
            for title, url in context.find_duplicates(content)
        ]
