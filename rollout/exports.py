"""Tables as files: CSV (UTF-8 with a BOM, so Excel reads Vietnamese) and XLSX (openpyxl).

Headers are the page's Vietnamese column labels; dates are dd/mm/yyyy. In CSV, every cell is
the text the page shows, except whole numbers, written bare so a spreadsheet sums them. In XLSX,
numbers and dates are typed cells with a display format.
"""

from __future__ import annotations

import csv
import datetime
import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import get_valid_filename

from vietfront.text import vi_slugify

from .tables import DATE, DATETIME, HOURS, INT, MONTH, PCT, Table, format_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_FORMATS = {
    DATE: "DD/MM/YYYY",
    DATETIME: "DD/MM/YYYY HH:MM",
    MONTH: "MM/YYYY",
    PCT: "0.0",
    HOURS: "0.0",
    INT: "#,##0",
}


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [value if (column.type == INT and isinstance(value, int)) else format_cell(value, column.type)
             for value, column in zip(row.cells, table.columns, strict=True)]
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _xlsx_value(value: object, kind: str) -> object:
    if value is None:
        return None
    if isinstance(value, Promise):  # a lazily translated label
        return str(value)
    if kind == DATETIME and isinstance(value, datetime.datetime):
        # Excel has no time zones: write the local wall-clock time.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def xlsx_bytes(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (table.title[:31] or "Bang").replace("/", "-")
    sheet.append([c.label for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(v, c.type) for v, c in zip(row.cells, table.columns, strict=True)])
        if row.is_total:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for index, column in enumerate(table.columns, start=1):
        number_format = XLSX_FORMATS.get(column.type)
        letter = sheet.cell(row=1, column=index).column_letter
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = min(60, max(10, len(column.label) + 2))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def file_response(table: Table, fmt: str, *, stem: str) -> HttpResponse:
    name = get_valid_filename(f"{vi_slugify(stem) or 'bang'}-{timezone.localdate():%Y%m%d}.{fmt}")
    if fmt == "csv":
        response = HttpResponse(csv_bytes(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_bytes(table), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
