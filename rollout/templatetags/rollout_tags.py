from django import template

from ..tables import format_cell

register = template.Library()


@register.filter
def cell(value, kind: str) -> str:
    """A table cell as the page shows it (the CSV export writes the same text)."""
    return format_cell(value, kind)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)
