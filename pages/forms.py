"""Forms of the editors' admin: rich-text widget, staged image uploads, documents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import media
from .documents import detect_document_kind
from .models import CommunityPage, MediaImage, PageStatus, Post, PostDocument
from .services import page_status_check
from .staging import load_staged, stage_image


def _https_urls(db_field: Any, **kwargs: Any) -> Any:
    """Links typed without a scheme are https (Django 6's default, chosen now).

    This shapes the fields built when the form class is defined; the admin rebuilds them with
    its own callback, where ``PagesScopedAdmin.formfield_overrides`` makes the same choice.
    """
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class TrixWidget(forms.Textarea):
    """Trix (vendored under static/vendor/trix, MIT): edits a hidden input holding the HTML.
    Whatever it posts is sanitised by ``Post.save`` — the editor is a convenience, not a guard."""

    template_name = "pages/widgets/trix.html"

    class Media:
        css = {"all": ["vendor/trix/trix.css", "pages/admin/editor.css"]}
        js = ["vendor/trix/trix.umd.min.js", "pages/admin/editor.js"]


class StagedImageMixin:
    """Verify an uploaded image as soon as it arrives and keep it across form errors.

    The form declares ``<prefix>upload`` (a file) and ``<prefix>token`` (hidden). The admin sets
    ``current_user_id`` on the form class. After validation ``self.staged`` holds
    ``(ProcessedImage, original_name)`` or None, and ``self.staged_token`` its token.
    """

    upload_field = "upload"
    token_field = "upload_token"  # noqa: S105 - a form field name
    upload_required = False
    current_user_id: int | None = None

    staged: tuple[media.ProcessedImage, str] | None = None
    staged_token: str = ""

    def _keep_token(self, token: str) -> None:
        data = self.data.copy()  # QueryDict copies are mutable
        data[self.add_prefix(self.token_field)] = token
        self.data = data
        self.staged_token = token

    def clean_staged_upload(self) -> Any:
        upload = self.cleaned_data.get(self.upload_field)
        token = self.data.get(self.add_prefix(self.token_field), "")
        if upload:
            processed = media.process_image(upload)
            self._keep_token(stage_image(image=processed, user_id=self.current_user_id, original_name=upload.name))
            self.staged = (processed, upload.name)
        elif token and self.current_user_id is not None:
            self.staged = load_staged(token=token, user_id=self.current_user_id)
            if self.staged is not None:
                self.staged_token = token
        if self.staged is not None:
            processed, name = self.staged
            note = _(
                "Đã nhận ảnh “%(name)s” (%(w)s×%(h)s). Không cần chọn lại, trừ khi muốn đổi ảnh khác."
            ) % {"name": escape(name), "w": processed.width, "h": processed.height}
            # The admin renders help text unescaped, hence the escaped name and mark_safe.
            note = mark_safe(note)  # noqa: S308
            # The bound field copied the help text when it was created, before cleaning.
            self.fields[self.upload_field].help_text = note
            self[self.upload_field].help_text = note
        elif self.upload_required:
            raise ValidationError(_("Hãy chọn một ảnh JPEG, PNG hoặc WebP."), code="required")
        return upload


_IMAGE_ACCEPT = {"accept": "image/jpeg,image/png,image/webp"}


class MediaImageAdminForm(StagedImageMixin, forms.ModelForm):
    upload = forms.FileField(label=_("Tệp ảnh"), required=False, widget=forms.ClearableFileInput(attrs=_IMAGE_ACCEPT))
    upload_token = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = MediaImage
        fields = ["unit", "alt_text", "credit", "caption"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A stored image is never replaced in place: posts and renditions point at it.
        self.upload_required = self.instance.pk is None
        if self.instance.pk is not None:
            del self.fields["upload"]
            del self.fields["upload_token"]

    def clean_upload(self) -> Any:
        return self.clean_staged_upload()


class PostAdminForm(StagedImageMixin, forms.ModelForm):
    upload_field = "cover_upload"
    token_field = "cover_upload_token"  # noqa: S105 - a form field name

    cover_upload = forms.FileField(
        label=_("Tải ảnh đại diện mới"),
        required=False,
        widget=forms.ClearableFileInput(attrs=_IMAGE_ACCEPT),
        help_text=_("Ảnh mới được lưu vào thư viện ảnh của đơn vị và dùng làm ảnh đại diện bài."),
    )
    cover_upload_token = forms.CharField(required=False, widget=forms.HiddenInput)
    cover_alt = forms.CharField(label=_("Mô tả ảnh mới (alt)"), required=False, max_length=300)
    cover_credit = forms.CharField(label=_("Nguồn ảnh mới"), required=False, max_length=200,
                                   help_text=_("Ví dụ: Ảnh: H.Nguyệt"))

    class Meta:
        model = Post
        formfield_callback = _https_urls
        fields = [
            "page", "title", "summary", "body", "cover", "topic", "tags", "source_kind", "source_name",
            "source_url", "author_line", "photo_credit", "desired_publish_at", "is_pinned",
        ]
        widgets = {"body": TrixWidget, "summary": forms.Textarea(attrs={"rows": 3})}

    def clean_cover_upload(self) -> Any:
        return self.clean_staged_upload()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.staged is not None:
            for name in ("cover_alt", "cover_credit"):
                if not (cleaned.get(name) or "").strip():
                    self.add_error(name, _("Ảnh mới cần có mô tả (alt) và nguồn ảnh."))
        page = cleaned.get("page") or (self.instance.page if self.instance.page_id else None)
        cover = cleaned.get("cover")
        if page is not None and cover is not None and cover.unit_id != page.unit_id:
            self.add_error("cover", _("Ảnh đại diện phải thuộc thư viện ảnh của chính đơn vị."))
        return cleaned


class CommunityPageAdminForm(forms.ModelForm):
    new_status = forms.ChoiceField(
        label=_("Đổi trạng thái"),
        required=False,
        choices=[("", _("— giữ nguyên —")), *PageStatus.choices],
    )
    status_reason = forms.CharField(
        label=_("Lý do"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bắt buộc khi tạm dừng trang."),
    )

    class Meta:
        model = CommunityPage
        formfield_callback = _https_urls
        fields = [
            "unit", "display_name", "about", "avatar", "cover", "address", "phone", "email", "zalo_url",
            "facebook_url",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        new_status = cleaned.get("new_status")
        if new_status:
            # The service's own rule, checked here so a refusal shows next to the field and the
            # rest of what was typed stays in the form.
            try:
                page_status_check(current=self.instance.status, status=new_status,
                                  reason=cleaned.get("status_reason") or "")
            except ValidationError as exc:
                for key, errors in exc.error_dict.items():
                    self.add_error({"status": "new_status", "reason": "status_reason"}[key], errors)
        unit = cleaned.get("unit") or (self.instance.unit if self.instance.unit_id else None)
        for name in ("avatar", "cover"):
            image = cleaned.get(name)
            if image is not None and unit is not None and image.unit_id != unit.pk:
                self.add_error(name, _("Ảnh phải thuộc thư viện ảnh của chính đơn vị."))
        return cleaned


class PostDocumentForm(forms.ModelForm):
    class Meta:
        model = PostDocument
        fields = ["title", "file"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        if self.instance.pk is not None:
            # A stored document is replaced by deleting it and attaching a new one.
            self.fields["file"].disabled = True

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload and self.instance.pk is None:
            detect_document_kind(upload)
        return upload
