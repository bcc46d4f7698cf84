"""``{{ html|sanitize }}``: stored rich text through the nh3 allow-list again, on output.

Bodies are sanitised when saved, but rows can be written around ``Post.save`` (a queryset
``update()``, a data migration, an import, an older allow-list): every template that renders
stored HTML passes it through this filter instead of ``|safe``, so the save-time sanitiser is
not the only guard.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from pages.sanitize import sanitize_html

register = template.Library()


@register.filter
def sanitize(value: str | None) -> SafeString:
    return mark_safe(sanitize_html(str(value or "")))  # noqa: S308 - nh3 allow-list output
