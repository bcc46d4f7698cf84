"""Links and embedded resources may only point to the domains admins allow."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import ContentForReview, Finding, Rule, Severity, register
from .context import RegulationContext, UrlVerdict


def _refusal(verdict: UrlVerdict, *, label: str, url: str) -> str:
    if verdict.host:
        return gettext(
            "%(field)s: liên kết tới “%(url)s” — tên miền “%(host)s” không thuộc danh sách tên miền "
            "được phép dẫn (quy chế chỉ cho phép dẫn nguồn chính thống)."
        ) % {"field": label, "url": url, "host": verdict.host}
    return gettext(
        "%(field)s: liên kết “%(url)s” không hợp lệ — chỉ được dẫn liên kết http hoặc https tới tên miền được phép."
    ) % {"field": label, "url": url}


@register
class AllowedDomainsRule(Rule):
    """``<a href>``, ``<img src>`` and other embedded URLs in the body, image sources and
    document links. Relative links stay on the site and pass."""

    code = "links.domains"
    label = _("Liên kết trong bài chỉ tới tên miền được phép")

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        findings = []
        body_label = gettext("Nội dung")
        for link in content.body.links:
            verdict = context.check_url(link.url)
            if not verdict.ok:
                findings.append(
                    self.finding(
                        field="body_html",
                        message=_refusal(verdict, label=body_label, url=link.url),
                        start=link.start,
                        end=link.end,
                        passage=link.url,
                    )
                )
        located = [
            *((f"images[{n}].src", gettext("Ảnh %(n)d") % {"n": n + 1}, i.src) for n, i in enumerate(content.images)),
            *(
                (f"documents[{n}].url", gettext("Tài liệu %(n)d") % {"n": n + 1}, d.url)
                for n, d in enumerate(content.documents)
            ),
        ]
        for field, label, url in located:
            verdict = context.check_url(url)
            if not verdict.ok:
                findings.append(self.finding(field=field, message=_refusal(verdict, label=label, url=url)))
        return findings


@register
class SourceUrlRule(Rule):
    """The source URL of a post taken from elsewhere.

    Outside the allowed domains it only warns: a newspaper can be a legitimate source the list
    does not know yet, and the approver decides. A malformed URL or a refused scheme blocks.
    """

    code = "links.source_url"
    label = _("Đường dẫn nguồn thuộc tên miền được phép")
    default_severity = Severity.WARN

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        url = (content.source_url or "").strip()
        if not url:
            return []
        verdict = context.check_url(url)
        if verdict.ok and not url.lower().startswith(("mailto:", "tel:")):
            return []
        label = gettext("Đường dẫn nguồn")
        if verdict.host:
            message = gettext(
                "%(field)s: “%(url)s” không thuộc tên miền được phép — người duyệt cần xác minh đây là "
                "nguồn chính thống."
            ) % {"field": label, "url": url}
            return [self.finding(field="source_url", message=message, passage=url)]
        return [
            self.finding(
                field="source_url",
                message=_refusal(UrlVerdict(False), label=label, url=url),
                passage=url,
                severity=Severity.BLOCK,
            )
        ]
