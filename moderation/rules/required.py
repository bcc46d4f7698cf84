"""Fields the regulation requires: who says it, about what, and credits for every photo."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import ContentForReview, Finding, Rule, register
from .context import RegulationContext


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


@register
class RequiredFieldsRule(Rule):
    code = "required_fields"
    label = _("Các trường bắt buộc: tiêu đề, tóm tắt, chủ đề, nguồn tin")

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        findings = []
        if _blank(content.title):
            findings.append(self.finding(field="title", message=gettext("Tiêu đề: chưa nhập.")))
        if _blank(content.summary):
            findings.append(self.finding(field="summary", message=gettext("Tóm tắt: chưa nhập.")))
        if content.topic_id is None and _blank(content.topic_name):
            findings.append(
                self.finding(
                    field="topic",
                    message=gettext("Chủ đề: chưa chọn chủ đề theo danh mục của quy chế thông tin."),
                )
            )
        if _blank(content.source_name):
            findings.append(
                self.finding(
                    field="source_name",
                    message=gettext(
                        "Nguồn tin: chưa ghi nguồn — quy chế yêu cầu mọi tin, bài phải nêu rõ nguồn chính thống."
                    ),
                )
            )
        if content.is_external and _blank(content.source_url):
            findings.append(
                self.finding(
                    field="source_url",
                    message=gettext("Đường dẫn nguồn: tin dẫn từ nguồn khác phải có đường dẫn tới bài gốc."),
                )
            )
        for n, document in enumerate(content.documents):
            if _blank(document.title):
                findings.append(
                    self.finding(
                        field=f"documents[{n}].title",
                        message=gettext("Tài liệu %(n)d: chưa có tên tài liệu.") % {"n": n + 1},
                    )
                )
        return findings


@register
class ImageCreditsRule(Rule):
    """Every image needs alt text (screen readers) and a credit (who took it).

    The post's photo line ("Ảnh: H.Nguyệt") credits every image without its own credit.
    """

    code = "images"
    label = _("Ảnh: mô tả ảnh (alt) và nguồn ảnh")

    def check(self, content: ContentForReview, context: RegulationContext) -> list[Finding]:
        findings = []
        for n, image in enumerate(content.images):
            if _blank(image.alt):
                findings.append(
                    self.finding(
                        field=f"images[{n}].alt",
                        message=gettext(
                            "Ảnh %(n)d: thiếu mô tả ảnh (alt) — người khiếm thị cần mô tả để biết ảnh có gì."
                        )
                        % {"n": n + 1},
                    )
                )
            if _blank(image.credit) and _blank(content.photo_credit):
                findings.append(
                    self.finding(
                        field=f"images[{n}].credit",
                        message=gettext(
                            "Ảnh %(n)d: thiếu nguồn ảnh (ví dụ “Ảnh: H.Nguyệt”) — quy chế yêu cầu ghi rõ nguồn."
                        )
                        % {"n": n + 1},
                    )
                )
        return findings
