"""Tables as files: CSV (UTF-8 with a BOM, so Excel reads Vietnamese) and XLSX (openpyxl).

Headers are the page's Vietnamese column labels; dates are dd/mm/yyyy. In CSV, every cell is
the text the page shows, except whole numbers, written bare so a spreadsheet sums them. In XLSX,
numbers and dates are typed cells with a display format.

Names in these tables are typed by people, and a spreadsheet evaluates a cell that starts
with ``=``, ``+``, ``-`` or ``@`` (formula injection: ``=HYPERLINK(...)`` sends data away when
clicked). A text cell with such a start is neutralised: in CSV behind an apostrophe, which
Excel and LibreOffice read as "this is text"; in XLSX as a string cell with Excel's own
quote prefix, so it reads exactly as typed. Only texts are touched: numbers, negative ones
included, stay numbers, and a text that is a plain number ("-5") is not a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import get_valid_filename

from vietfront.escaping import is_formula_like, spreadsheet_text, strip_controls
from vietfront.text import vi_slugify

from .tables import DATE, DATETIME, HOURS, INT, MONTH, PCT, TEXT, Table, format_cell

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_FORMATS = {
    DATE: "DD/MM/YYYY",
    DATETIME: "DD/MM/YYYY HH:MM",
    MONTH: "MM/YYYY",
    PCT: "0.0",
    HOURS: "0.0",
    INT: "#,##0",
}


def _csv_value(value: object, kind: str) -> object:
    if kind == INT and isinstance(value, int):
        return value
    text = format_cell(value, kind)
    # Formatted numbers and dates ("-1,5", "01/02/2025") are the site's own text; a str or a
    # lazy label may come from anyone.
    return spreadsheet_text(text) if isinstance(value, str | Promise) else text


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_text(str(c.label)) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(value, column.type) for value, column in zip(row.cells, table.columns, strict=True)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _xlsx_value(value: object, kind: str) -> object:
    if value is None:
        return None
    if isinstance(value, str | Promise):  # a Promise is a lazily translated label
        # openpyxl refuses control characters, and would store "=..." as a formula.
        return strip_controls(str(value))
    if kind == DATETIME and isinstance(value, datetime.datetime):
        # Excel has no time zones: write the local wall-clock time.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``\\ / * ? : [ ]`` (openpyxl
    raises on them, and list titles read "<target>: đơn vị chưa đạt"), no apostrophe at
    either end."""
    name = _SHEET_TITLE_FORBIDDEN.sub("-", strip_controls(str(title)))[:31].strip(" '")
    return name or "Bang"


def _quote_formulas(cells) -> None:
    """Formula-looking texts as string cells with the quote prefix (what Excel itself sets when
    someone types an apostrophe first): shown as typed, never evaluated, even once edited."""
    for cell in cells:
        if isinstance(cell.value, str) and is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def xlsx_bytes(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(table.title)
    sheet.append([_xlsx_value(c.label, TEXT) for c in table.columns])
    _quote_formulas(sheet[1])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(v, c.type) for v, c in zip(row.cells, table.columns, strict=True)])
        _quote_formulas(sheet[sheet.max_row])
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
