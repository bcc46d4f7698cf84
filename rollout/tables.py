"""Tables as data: what the dashboard shows is what the exports write, from the same object."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

# Column types: how a cell is shown on the page, written to CSV and typed in XLSX.
TEXT, INT, PCT, DATE, DATETIME, MONTH, HOURS = "text", "int", "pct", "date", "datetime", "month", "hours"


@dataclass(frozen=True)
class Column:
    label: str
    type: str = TEXT


@dataclass
class Row:
    cells: list[Any]
    #: column index -> URL: the unit's public page, a drill-down, or the list behind a number.
    links: dict[int, str] = field(default_factory=dict)
    #: a row that sums the others ("Tổng"), shown in bold and kept last.
    is_total: bool = False

    def cell_links(self) -> list[tuple[Any, str | None]]:
        return [(value, self.links.get(i)) for i, value in enumerate(self.cells)]


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    caption: str = ""
    #: the page shows at most this many rows (the export has them all); None shows every row.
    display_limit: int | None = None

    @property
    def shown_rows(self) -> list[Row]:
        return self.rows if self.display_limit is None else self.rows[: self.display_limit]

    @property
    def hidden_count(self) -> int:
        return len(self.rows) - len(self.shown_rows)

    def body_html(self) -> str:
        """The ``<tbody>`` rows, built here rather than in template loops: the country's tables
        hold thousands of cells, and the template engine spends ~50 µs on each."""
        from django.utils.html import escape
        from django.utils.safestring import mark_safe

        out = []
        for row in self.shown_rows:
            cells = []
            for i, (value, column) in enumerate(zip(row.cells, self.columns, strict=True)):
                text = escape(format_cell(value, column.type))
                link = row.links.get(i)
                if link:
                    text = f'<a href="{escape(link)}">{text}</a>'
                tag = "th scope=\"row\"" if i == 0 else "td"
                cells.append(f'<{tag} class="t-{column.type}">{text}</{tag[:2]}>')
            cls = ' class="total"' if row.is_total else ""
            out.append(f"<tr{cls}>{''.join(cells)}</tr>")
        return mark_safe("\n".join(out))  # noqa: S308 - every value and link is escaped above

    def typed_rows(self) -> list[tuple[bool, list[tuple[Any, str, str | None]]]]:
        """Rows as (is_total, [(value, column type, link), ...]), for the template."""
        return [
            (
                row.is_total,
                [(value, column.type, row.links.get(i))
                 for i, (value, column) in enumerate(zip(row.cells, self.columns, strict=True))],
            )
            for row in self.rows
        ]


def number(value: int) -> str:
    """An integer the Vietnamese way, "8.025": the one format of counts on the page, in the
    charts and in the CSV."""
    return f"{value:,}".replace(",", ".")


def format_cell(value: Any, kind: str) -> str:
    """A cell as text, Vietnamese style: dd/mm/yyyy dates, comma decimals. Used by the page's
    template filter and by the CSV writer, so both read the same."""
    if value is None or value == "":
        return "–" if kind in (PCT, HOURS) else ""
    if kind == PCT:
        return f"{value:.1f}".replace(".", ",")
    if kind == HOURS:
        return f"{value:.1f}".replace(".", ",")
    if kind == INT:
        return number(value)
    if kind == DATE and isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if kind == DATETIME and isinstance(value, datetime.datetime):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if kind == MONTH and isinstance(value, datetime.date):
        return value.strftime("%m/%Y")
    return str(value)
