"""The editors' form for a document: the post's public content, the register entry and the file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from pages.documents import detect_document_kind
from pages.models import CommunityPage, Post, SourceKind, Topic

from .models import OfficialDocument
from .services import FROZEN_POST_STATES, REGISTER_FIELDS

POST_FIELDS = ("title", "summary", "body", "topic", "source_kind", "source_name", "source_url")


class OfficialDocumentAdminForm(forms.ModelForm):
    page = forms.ModelChoiceField(
        label=_("trang của đơn vị ban hành"), queryset=CommunityPage.objects.none(),
        help_text=_("Văn bản được đăng như một bài viết của trang này, qua quy trình duyệt."),
    )
    title = forms.CharField(label=_("trích yếu (tiêu đề)"), max_length=255)
    summary = forms.CharField(label=_("tóm tắt"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000)
    body = forms.CharField(label=_("nội dung"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    topic = forms.ModelChoiceField(label=_("chủ đề"), queryset=Topic.objects.filter(is_active=True), required=False)
    source_kind = forms.ChoiceField(label=_("loại nguồn"), choices=SourceKind.choices, initial=SourceKind.OWN)
    source_name = forms.CharField(label=_("tên nguồn"), max_length=200, required=False)
    source_url = forms.URLField(label=_("liên kết nguồn"), required=False, assume_scheme="https")
    upload = forms.FileField(
        label=_("tệp văn bản"), required=False,
        help_text=_("PDF, Word (DOCX), Excel (XLSX) hoặc ODT. Tải tệp mới sẽ thay tệp cũ."),
    )

    class Meta:
        model = OfficialDocument
        fields = ["number", "kind", "issued_on", "addressed_to_kind"]

    def __init__(self, *args: Any, pages=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The same choices as a post's page (``pages_writable_by``), searched, not listed.
        self.fields["page"].widget = AutocompleteSelect(Post._meta.get_field("page"), admin.site)
        self.fields["page"].queryset = pages if pages is not None else CommunityPage.objects.none()
        post: Post | None = self.instance.post if self.instance.pk else None
        if post is not None:
            self.fields["page"].disabled = True
            self.fields["page"].initial = post.page_id
            for name in POST_FIELDS:
                value = getattr(post, f"{name}_id" if name == "topic" else name)
                self.fields[name].initial = value
        else:
            self.fields["upload"].required = True

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload:
            detect_document_kind(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        post = self.instance.post if self.instance.pk else None
        frozen = post is not None and (post.status in FROZEN_POST_STATES or post.live_revision_id is not None)
        if frozen and (cleaned.get("upload") or any(name in self.changed_data for name in REGISTER_FIELDS)):
            raise forms.ValidationError(
                _("Văn bản đang chờ duyệt hoặc đã đăng: muốn sửa số, loại, ngày hoặc tệp, hãy rút bài trước.")
            )
        return cleaned

    def post_for_save(self) -> Post:
        """The post with this form's content, unsaved (new, or the document's own)."""
        post = self.instance.post if self.instance.pk else Post(page=self.cleaned_data["page"])
        for name in POST_FIELDS:
            setattr(post, name, self.cleaned_data[name] if name != "topic" else self.cleaned_data["topic"])
        for name in ("summary", "body", "source_name", "source_url"):
            if getattr(post, name) is None:
                setattr(post, name, "")
        return post
