"""The dashboard's figures as tables (for the page and the exports alike), with their links."""

from __future__ import annotations

import datetime
from functools import lru_cache
from urllib.parse import quote

from django.db.models import QuerySet
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.reports import channel_reach_table
from orgunits.managers import subtree_q
from orgunits.models import OrgUnit, UnitKind
from pages.models import PageStatus
from spreading.reports import proposals_table, spreads_table

from . import charts, geo
from .models import Condition
from .selectors import SILENT_DAYS, Dashboard, TargetFigure, percent, units_short
from .tables import DATE, DATETIME, HOURS, INT, PCT, TEXT, Column, Row, Table

#: Approving units shown on the page (slowest first); the export lists them all.
APPROVAL_ROWS_SHOWN = 25


@lru_cache(maxsize=8)
def _path(script_prefix: str, name: str) -> str:
    return reverse(name)


def _view_path(name: str) -> str:
    """``reverse(name)`` once per script prefix: a country's dashboard links ~600 cells to
    these two views, and reversing each cost ~30 ms a page."""
    return _path(get_script_prefix(), name)


def dashboard_url(unit: OrgUnit) -> str:
    return f"{_view_path('rollout:dashboard')}?unit={unit.pk}"


def list_url(unit: OrgUnit, which: str, target_id: int | None = None) -> str:
    # Formatted, not urlencode()d: ids are integers and ``which`` one of the lists' names.
    target = f"&target={target_id}" if target_id is not None else ""
    return f"{_view_path('rollout:units')}?unit={unit.pk}&which={quote(which)}{target}"


def _row_label(unit: OrgUnit, root: OrgUnit) -> str:
    """A per-unit row's label: the unit's name, marked when it is the root's own row."""
    if unit.pk == root.pk:
        return _("%(unit)s (chính đơn vị này)") % {"unit": unit.name}
    return unit.name


def _page_columns(first: Column, units_label: str) -> list[Column]:
    """The columns shared by the page-count tables (per kind, per child)."""
    return [
        first, Column(units_label, INT), Column(_("Có trang đang hoạt động"), INT), Column(_("Tỷ lệ (%)"), PCT),
        Column(_("Trang im lặng từ %(days)s ngày") % {"days": SILENT_DAYS}, INT),
    ]


def applies_note(f: TargetFigure) -> str:
    """Why a target shows no percentage: since when it no longer applies, where the level it
    needs was dissolved in the region; "does not apply" where that level never existed there.
    Empty for a target that applies."""
    if f.applies:
        return ""
    if f.ended_on is not None:
        return _("Không còn áp dụng từ %(date)s") % {"date": f.ended_on.strftime("%d/%m/%Y")}
    return _("Không áp dụng")


def lapsed_note(f: TargetFigure) -> str:
    """The tables' note on a target: since when it no longer applies, where it once did (a
    target that never applied in the view shows "–" and needs no note)."""
    return applies_note(f) if f.ended_on is not None else ""


def applies_reason(f: TargetFigure) -> str:
    """The sentence under ``applies_note`` on the target's card."""
    if f.applies:
        return ""
    level = UnitKind(f.missing_kind).label if f.missing_kind else ""
    if f.ended_on is not None:
        return _(
            "Phạm vi này không còn đơn vị cấp “%(level)s” nào đang hoạt động: đơn vị cuối cùng "
            "thôi hoạt động từ %(date)s (sắp xếp lại đơn vị)."
        ) % {"level": level, "date": f.ended_on.strftime("%d/%m/%Y")}
    return _("Phạm vi này không có cấp mà chỉ tiêu đo (cơ cấu từ 1/7/2025 không có cấp huyện).")


def targets_table(d: Dashboard) -> Table:
    table = Table(
        key="chi-tieu",
        title=_("Chỉ tiêu triển khai"),
        columns=[
            Column(_("Chỉ tiêu")), Column(_("Cấp được đo")), Column(_("Đạt"), INT), Column(_("Tổng số"), INT),
            Column(_("Tỷ lệ (%)"), PCT), Column(_("Chỉ tiêu (%)"), INT), Column(_("Còn thiếu (điểm %)"), PCT),
            Column(_("Còn thiếu (đơn vị)"), INT), Column(_("Ghi chú")),
        ],
    )
    for f in d.targets:
        table.rows.append(
            Row(
                [f.target.name, UnitKind(f.target.unit_kind).label, f.met, f.total, f.percent,
                 f.target.target_percent, f.gap_points, f.units_short, lapsed_note(f)],
                links={2: list_url(d.root, "met", f.target.pk), 7: list_url(d.root, "missing", f.target.pk)},
            )
        )
    return table


def target_breakdown_table(d: Dashboard, f: TargetFigure) -> Table:
    caption = _("Theo đơn vị trực thuộc %(unit)s") % {"unit": d.root.name}
    if lapsed_note(f):
        caption = f"{caption}. {lapsed_note(f)}."
    table = Table(
        key=f"chi-tieu-{f.target.pk}",
        title=f.target.name,
        caption=caption,
        columns=[
            Column(_("Đơn vị")), Column(_("Đạt"), INT), Column(_("Tổng số"), INT), Column(_("Tỷ lệ (%)"), PCT),
            Column(_("Chưa đạt"), INT), Column(_("Còn thiếu để đạt chỉ tiêu (đơn vị)"), INT),
        ],
    )
    for cell in f.by_child:
        is_root = cell.unit.pk == d.root.pk
        links = {1: list_url(cell.unit, "met", f.target.pk), 4: list_url(cell.unit, "missing", f.target.pk)}
        if not is_root:
            links[0] = dashboard_url(cell.unit)
        table.rows.append(
            Row(
                [_row_label(cell.unit, d.root), cell.met, cell.total, cell.percent, cell.total - cell.met,
                 units_short(f.target.target_percent, cell.met, cell.total)],
                links=links,
            )
        )
    table.rows.append(
        Row(
            [_("Tổng"), f.met, f.total, f.percent, f.total - f.met, f.units_short],
            links={1: list_url(d.root, "met", f.target.pk), 4: list_url(d.root, "missing", f.target.pk)},
            is_total=True,
        )
    )
    return table


#: Rows in each of the compact tables of an indicator: the lowest and the highest.
RANKED_ROWS = 5


def _ranked_table(d: Dashboard, f: TargetFigure, key: str, title: str, cells: list) -> Table:
    table = Table(
        key=key, title=title,
        columns=[Column(_("Đơn vị")), Column(_("Đạt"), INT), Column(_("Tổng số"), INT), Column(_("Tỷ lệ (%)"), PCT)],
    )
    for cell in cells:
        links = {1: list_url(cell.unit, "met", f.target.pk)}
        if cell.unit.pk != d.root.pk:
            links[0] = dashboard_url(cell.unit)
        # The short name ("Hà Nội") keeps a compact row on one line; the full table has the official one.
        label = _row_label(cell.unit, d.root) if cell.unit.pk == d.root.pk else (cell.unit.short_name or cell.unit.name)
        table.rows.append(Row([label, cell.met, cell.total, cell.percent], links=links))
    return table


def ranking_tables(d: Dashboard, f: TargetFigure) -> list[Table]:
    """An indicator's compact tables: the ``RANKED_ROWS`` units below the current one that
    stand lowest, and those that stand highest (one ranked table when there are few). The
    full breakdown is the ``chi-tieu-<id>`` table, one click away and in the exports."""
    cells = sorted(
        (c for c in f.by_child if c.total), key=lambda c: (c.percent, -(c.total - c.met), c.unit.name)
    )
    if len(cells) > 1 and cells[0].percent == cells[-1].percent:
        return []  # all alike: nothing to rank (the page says so in one line)
    if len(cells) <= 2 * RANKED_ROWS:
        return [_ranked_table(d, f, f"chi-tieu-{f.target.pk}-xep-hang", _("Xếp hạng, từ thấp đến cao"), cells)]
    best = sorted(cells, key=lambda c: (-c.percent, c.unit.name))[:RANKED_ROWS]
    return [
        _ranked_table(d, f, f"chi-tieu-{f.target.pk}-thap", _("%(n)s đơn vị thấp nhất") % {"n": RANKED_ROWS},
                      cells[:RANKED_ROWS]),
        _ranked_table(d, f, f"chi-tieu-{f.target.pk}-cao", _("%(n)s đơn vị cao nhất") % {"n": RANKED_ROWS}, best),
    ]


def kinds_table(d: Dashboard) -> Table:
    table = Table(
        key="theo-cap",
        title=_("Trang cộng đồng theo cấp"),
        columns=_page_columns(Column(_("Cấp")), _("Số đơn vị")),
    )
    for k in d.kinds:
        table.rows.append(
            Row([UnitKind(k.kind).label, k.total, k.active_pages, k.percent, k.silent_pages])
        )
    return table


def children_table(d: Dashboard) -> Table:
    table = Table(
        key="don-vi",
        title=_("Trang cộng đồng theo đơn vị trực thuộc"),
        columns=_page_columns(Column(_("Đơn vị")), _("Số đơn vị (kể cả cấp dưới)")),
    )
    for unit in d.children:
        total, active, silent = d.child_pages.get(unit.pk, (0, 0, 0))
        table.rows.append(
            Row(
                [unit.name, total, active, percent(active, total), silent],
                links={0: dashboard_url(unit), 4: list_url(unit, "silent")},
            )
        )
    total, active, silent = (sum(v[i] for v in d.child_pages.values()) for i in range(3))
    table.rows.append(
        Row([_("Tổng"), total, active, percent(active, total), silent], links={4: list_url(d.root, "silent")},
            is_total=True)
    )
    return table


def _activity_table(d: Dashboard, key: str, title: str, periods: list[datetime.date], counts, kind: str) -> Table:
    table = Table(key=key, title=title, columns=[Column(_("Đơn vị")), *(Column(_label(p, kind), INT) for p in periods),
                                                 Column(_("Cộng"), INT)])
    units = ([d.root] if d.root.pk in counts else []) + d.children
    totals = [0] * len(periods)
    for unit in units:
        values = [counts.get(unit.pk, {}).get(p, 0) for p in periods]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        links = {} if unit.pk == d.root.pk else {0: dashboard_url(unit)}
        table.rows.append(Row([_row_label(unit, d.root), *values, sum(values)], links=links))
    table.rows.append(Row([_("Tổng"), *totals, sum(totals)], is_total=True))
    return table


def _label(period: datetime.date, kind: str) -> str:
    return period.strftime("%d/%m") if kind == "week" else period.strftime("%m/%Y")


def weekly_table(d: Dashboard) -> Table:
    return _activity_table(d, "bai-dang-theo-tuan", _("Bài đăng theo tuần (tuần bắt đầu từ thứ Hai)"), d.weeks, d.weekly, "week")


def monthly_table(d: Dashboard) -> Table:
    return _activity_table(d, "bai-dang-theo-thang", _("Bài đăng theo tháng"), d.months, d.monthly, "month")


def approval_table(d: Dashboard) -> Table:
    table = Table(
        key="thoi-gian-duyet",
        title=_("Thời gian duyệt bài (90 ngày gần đây)"),
        caption=_("Các đơn vị duyệt chậm nhất trước."),
        display_limit=APPROVAL_ROWS_SHOWN,
        columns=[
            Column(_("Đơn vị duyệt")), Column(_("Số bài đã quyết định"), INT),
            Column(_("Trung vị (giờ)"), HOURS), Column(_("90% bài được duyệt trong (giờ)"), HOURS),
        ],
    )
    for a in sorted(d.approval, key=lambda a: -(a.p90_hours or 0)):
        table.rows.append(Row([a.name, a.decided, a.median_hours, a.p90_hours]))
    return table


def queue_table(d: Dashboard) -> Table:
    table = Table(
        key="hang-cho-qua-han",
        title=_("Bài chờ duyệt và quá hạn 48 giờ"),
        display_limit=APPROVAL_ROWS_SHOWN,
        columns=[
            Column(_("Đơn vị duyệt")), Column(_("Đang chờ duyệt"), INT), Column(_("Chờ quá 48 giờ"), INT),
            Column(_("Gửi sớm nhất lúc"), DATETIME),
        ],
    )
    for q in d.queue:
        table.rows.append(Row([q.name, q.pending, q.overdue, q.oldest]))
    return table


def reform_note(day: datetime.date) -> str:
    return _("Sắp xếp lại đơn vị có hiệu lực %(date)s") % {"date": day.strftime("%d/%m/%Y")}


def timeline_breaks(d: Dashboard) -> dict[int, list[datetime.date]]:
    """The timeline's rows (by index) in whose month a reorganisation took effect."""
    kinds = list(d.timeline)
    if not kinds:
        return {}
    months = [day.replace(day=1) for day, _n in d.timeline[kinds[0]]]
    breaks: dict[int, list[datetime.date]] = {}
    for reform in d.reforms:
        if reform.replace(day=1) in months:
            breaks.setdefault(months.index(reform.replace(day=1)), []).append(reform)
    return breaks


def timeline_table(d: Dashboard) -> Table:
    """Active pages at each month's end, with the share of the units that existed then; a
    "Ghi chú" column marks the month a reorganisation took effect, where the view has one."""
    kinds = list(d.timeline)
    breaks = timeline_breaks(d)
    columns = [Column(_("Cuối tháng"), DATE)]
    for kind in kinds:
        label = UnitKind(kind).label
        columns += [Column(_("%(kind)s: trang hoạt động") % {"kind": label}, INT),
                    Column(_("%(kind)s: số đơn vị") % {"kind": label}, INT),
                    Column(_("%(kind)s: tỷ lệ (%%)") % {"kind": label}, PCT)]
    if breaks:
        columns.append(Column(_("Ghi chú")))
    table = Table(
        key="theo-thoi-gian", title=_("Trang đang hoạt động cuối mỗi tháng"), columns=columns,
        caption=_("Tỷ lệ mỗi tháng tính trên các đơn vị còn tồn tại vào cuối tháng đó.") if breaks else "",
    )
    if not kinds:
        return table
    for i, (day, _count) in enumerate(d.timeline[kinds[0]]):
        cells: list[object] = [day]
        for kind in kinds:
            cells += [d.timeline[kind][i][1], d.timeline_units[kind][i], d.timeline_percent(kind, i)]
        if breaks:
            cells.append("; ".join(reform_note(r) for r in breaks.get(i, [])))
        table.rows.append(Row(cells))
    return table


def map_figure(d: Dashboard) -> TargetFigure | None:
    """What the map of provinces shows: on the central dashboard (its children are the
    provinces), the page target measured over the most units — the communes' as seeded."""
    if d.root.kind != UnitKind.CENTRAL or not d.children:
        return None
    pages = [f for f in d.targets if f.target.condition == Condition.ACTIVE_PAGE]
    return max(pages, key=lambda f: f.total, default=None)


def _map_rows(d: Dashboard, f: TargetFigure) -> list[tuple[OrgUnit, int, int, float | None, str]]:
    """Every province in scope, whether or not it has units the target measures:
    (unit, met, total, percent, class against the target)."""
    cells = {c.unit.pk: c for c in f.by_child}
    rows = []
    for unit in d.children:
        cell = cells.get(unit.pk)
        met, total = (cell.met, cell.total) if cell else (0, 0)
        value = percent(met, total)
        rows.append((unit, met, total, value, charts.dot_class(value, f.target.target_percent)))
    return rows


MAP_LEVELS = {
    "reached": gettext_lazy("Đạt chỉ tiêu"),
    "near": gettext_lazy("Gần đạt"),
    "below": gettext_lazy("Còn xa chỉ tiêu"),
    "none": gettext_lazy("Chưa có số liệu"),
}


def map_table(d: Dashboard, f: TargetFigure) -> Table:
    """The map's numbers as a table: what a screen reader, a printout or an export gets."""
    table = Table(
        key="ban-do",
        title=_("Bản đồ: %(target)s") % {"target": f.target.name},
        caption=_("Số liệu của bản đồ, theo tỉnh, thành phố."),
        columns=[
            Column(_("Tỉnh, thành phố")), Column(_("Đạt"), INT), Column(_("Tổng số"), INT), Column(_("Tỷ lệ (%)"), PCT),
            Column(_("Mức so với chỉ tiêu")),
        ],
    )
    for unit, met, total, value, level in _map_rows(d, f):
        table.rows.append(Row([unit.name, met, total, value, str(MAP_LEVELS[level])], links={0: dashboard_url(unit)}))
    return table


def province_map(d: Dashboard, f: TargetFigure) -> charts.DotMap:
    """The map of provinces, one dot per province in scope, placed by its centroid."""
    centroids = geo.centroids_for((unit.code, unit.name) for unit in d.children)
    places = []
    for unit, _met, total, value, _level in _map_rows(d, f):
        at = centroids.get(unit.code)
        places.append((unit.name, (at.lat, at.lon) if at else None, value, total))
    return charts.dot_map(
        title=_("Bản đồ tỉnh, thành phố: %(target)s") % {"target": f.target.name},
        places=places,
        target=f.target.target_percent,
    )


def dashboard_tables(d: Dashboard) -> dict[str, Table]:
    tables = [targets_table(d), *(target_breakdown_table(d, f) for f in d.targets), kinds_table(d)]
    mapped = map_figure(d)
    if mapped is not None:
        tables.append(map_table(d, mapped))
    if d.children:
        tables.append(children_table(d))
    tables += [weekly_table(d), monthly_table(d), approval_table(d), queue_table(d), timeline_table(d)]
    tables += reach_tables(d)
    return {t.key: t for t in tables}


def reach_tables(d: Dashboard) -> list[Table]:
    """How far the subtree's posts travel: spreads down, proposals up, and the channels."""
    root = d.root
    return [
        spreads_table(scope=subtree_q(root, "from_unit__")),
        proposals_table(scope=subtree_q(root, "spread__from_unit__")),
        channel_reach_table(scope=subtree_q(root, "connection__unit__")),
    ]


#: Lazy: the module is imported once, the titles are translated per request.
WHICH_TITLES = {
    "met": gettext_lazy("Đơn vị đã đạt"),
    "missing": gettext_lazy("Đơn vị chưa đạt"),
    "silent": gettext_lazy("Trang im lặng từ %(days)s ngày trở lên"),
}


def which_title(which: str) -> str:
    """The title of the list ``which`` (a key of ``WHICH_TITLES``), in the active language."""
    return str(WHICH_TITLES[which]) % {"days": SILENT_DAYS}


def units_table(
    *, units: QuerySet[OrgUnit] | list[OrgUnit], title: str, request_host: str = "", start: int = 1
) -> Table:
    """The list behind a number: each unit with its parent, page state and last publication,
    numbered from ``start`` (a page of a longer list goes on from the previous page)."""
    table = Table(
        key="danh-sach",
        title=title,
        columns=[
            Column(_("STT"), INT), Column(_("Đơn vị")), Column(_("Đơn vị cấp trên")), Column(_("Cấp")),
            Column(_("Trạng thái trang")), Column(_("Bài đăng gần nhất"), DATE), Column(_("Địa chỉ trang"), TEXT),
        ],
    )
    for n, unit in enumerate(units, start=start):
        status = PageStatus(unit.page_status).label if unit.page_status else _("Chưa có trang")
        last = unit.last_published_at
        public = unit.get_absolute_url()
        table.rows.append(
            Row(
                [n, unit.name, unit.parent.name if unit.parent_id else "", UnitKind(unit.kind).label, status,
                 last and timezone.localtime(last).date(), f"{request_host}{public}"],
                links={1: public, 6: public},
            )
        )
    return table

