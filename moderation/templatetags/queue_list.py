"""The approvers' queue's table: Django's ``result_list`` with the rows built in one pass.

Django's admin builds every cell through a generic path (field lookup by name, empty-value and
boolean handling, a ``format_html`` per cell) that costs about a millisecond a row, most of a
50-row queue page. The queue's cells are its admin's display methods whatever the row, so the
admin writes them directly (``SubmissionQueueAdmin.row_cells``); the headers, sorting links and
the table's markup stay Django's own.
"""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.admin_list import ResultList, result_headers
from django.utils.safestring import mark_safe

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def queue_result_list(cl) -> dict:
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],  # no editable columns, so no hidden primary keys
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        # A row's cells joined: Django's template then loops once a row, not once a cell.
        "results": [ResultList(None, [mark_safe("".join(cl.model_admin.row_cells(row)))])  # noqa: S308 - safe cells
                    for row in cl.result_list],
    }
