"""No personal data of citizens in public text: phone numbers, citizen ID numbers, e-mails.

The patterns follow how Vietnamese people write these, and stay clear of what looks alike:
amounts ("1.000.000 đồng"), years, dates ("09.12.2024"), tax codes ("0101234567"), hotlines
("1900 1234"). ``mailto:`` and ``tel:`` links in the body are read too.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import ContentForReview, Finding, Rule, Severity, register
from .context import RegulationContext
from .text import TextSource

_SEP = r"[ \u00a0.\-]?"
_BEFORE = r"(?<![\w+])(?<!\d[.,\-])"
_AFTER = r"(?!\w)(?![.,\-]\d)"
_VN = r"(?:\(\+84\)|\+84)"
# Mobile: 0 + 3/5/7/8/9 + 8 digits; "+84" stands for the leading 0.
_MOBILE = re.compile(rf"{_BEFORE}(?:{_VN}|0){_SEP}[35789](?:{_SEP}\d){{8}}{_AFTER}")
# Landline: 02 + area code + subscriber number, 11 digits in all: "(024) 3825 1234".
_LANDLINE = re.compile(rf"{_BEFORE}(?:{_VN}{_SEP}\(?2|\(02|02)(?:[ \u00a0.\-)]{{0,2}}\d){{9}}{_AFTER}")
# Citizen ID (CCCD): 12 digits starting with the province code 001-096, contiguous or in
# groups of three. Amounts never start with 0, which keeps "100.000.000.000" out.
_NATIONAL_ID = re.compile(rf"{_BEFORE}0\d\d(?:\d{{9}}|([ .])\d{{3}}\1\d{{3}}\1\d{{3}}){_AFTER}")
_EMAIL = re.compile(
    r"(?<![\w.+\-@])[A-Za-z0-9][A-Za-z0-9._%+\-]*@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})(?![\w\-@])"
)


def _texts(content: ContentForReview, scheme: str) -> list[TextSource]:
    """Public texts, plus the targets of ``mailto:``/``tel:`` links located at their tag."""
    texts = content.public_texts()
    label = gettext("Nội dung (liên kết)")
    for link in content.body.links:
        if link.url.strip().lower().startswith(scheme + ":"):
            target = unquote(link.url.strip()[len(scheme) + 1 :].split("?", 1)[0])
            texts.append(TextSource("body_html", label, target, ((link.start, link.end),) * len(target)))
    return texts


@register
class PhoneNumberRule(Rule):
    """Mobile numbers are a citizen's; landlines are mostly offices', so they only warn."""

    code = "personal_data.phone"
    label = _("Số điện thoại cá nhân")

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        mobile = gettext(
            "%(field)s: có số điện thoại cá nhân “%(passage)s” — quy chế không cho phép công khai "
            "thông tin cá nhân của người dân."
        )
        landline = gettext(
            "%(field)s: có số điện thoại “%(passage)s” — nếu không phải số công khai của cơ quan, tổ chức "
            "thì quy chế không cho phép công khai."
        )
        findings = []
        for source in _texts(content, "tel"):
            findings += [self.text_finding(source, *m.span(), mobile) for m in _MOBILE.finditer(source.text)]
            findings += [
                self.text_finding(source, *m.span(), landline, severity=Severity.WARN)
                for m in _LANDLINE.finditer(source.text)
            ]
        return findings


@register
class NationalIdRule(Rule):
    code = "personal_data.national_id"
    label = _("Số căn cước công dân")

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        message = gettext(
            "%(field)s: có số căn cước công dân “%(passage)s” — quy chế không cho phép công khai "
            "thông tin cá nhân của người dân."
        )
        findings = []
        for source in content.public_texts():
            for m in _NATIONAL_ID.finditer(source.text):
                if 1 <= int(m.group()[:3]) <= 96:
                    findings.append(self.text_finding(source, *m.span(), message))
        return findings


@register
class EmailRule(Rule):
    """Addresses at allowed domains ("mattran@hanoi.gov.vn") are official, not personal."""

    code = "personal_data.email"
    label = _("Địa chỉ thư điện tử cá nhân")

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        message = gettext(
            "%(field)s: có địa chỉ thư điện tử cá nhân “%(passage)s” — quy chế không cho phép công khai "
            "thông tin cá nhân của người dân."
        )
        findings = []
        for source in _texts(content, "mailto"):
            for m in _EMAIL.finditer(source.text):
                if not context.domain_allowed(m.group(1)):
                    findings.append(self.text_finding(source, *m.span(), message))
        return findings
