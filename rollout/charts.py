"""Server-rendered SVG charts: geometry here, markup in ``rollout/includes/*.svg.html``.

No JavaScript and nothing fetched from elsewhere. Each chart carries a title and a description
for screen readers, and the page puts the same numbers in a table next to it.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .tables import number

WIDTH = 400
LINE_HEIGHT = 220
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 36, 392, 12, 190


COLUMN_HEIGHT = 120  # the plot; a fixed height whatever the number of units
COLUMN_TOP = 14


@dataclass
class Column:
    x: float
    y: float
    width: float
    height: float
    text: str  # the tooltip: name and figure
    reached: bool


@dataclass
class ColumnChart:
    title: str
    description: str
    columns: list[Column]
    target_y: float
    target_label: str
    width: int = WIDTH
    height: int = COLUMN_TOP + COLUMN_HEIGHT


def column_chart(*, title: str, rows: list[tuple[str, float | None, str | None]], target: float) -> ColumnChart:
    """Every ``(label, percent, url)`` as a thin column, highest first, against a dashed target
    line: the spread of 63 provinces at a glance, in a fixed height (a bar per row took 34 px
    each). No links inside the image (an ``img`` holds no controls): the tables beside it link
    each unit."""
    ranked = sorted(rows, key=lambda r: (-(r[1] if r[1] is not None else -1), r[0]))
    step = WIDTH / max(1, len(ranked))
    gap = min(2.0, step / 4)
    columns = []
    for i, (label, value, _url) in enumerate(ranked):
        h = 0.0 if value is None else COLUMN_HEIGHT * max(0.0, min(value, 100.0)) / 100
        shown = "–" if value is None else f"{value:.1f}%".replace(".", ",")
        columns.append(Column(
            round(i * step, 1), round(COLUMN_TOP + COLUMN_HEIGHT - h, 1), round(step - gap, 1), round(h, 1),
            f"{label}: {shown}", value is not None and value >= target,
        ))
    below = sum(1 for c in columns if not c.reached)
    description = _("%(n)s đơn vị, xếp từ cao xuống thấp; %(below)s đơn vị dưới chỉ tiêu %(target)s%%.") % {
        "n": number(len(columns)), "below": number(below), "target": f"{target:g}",
    }
    return ColumnChart(
        title=title, description=description, columns=columns,
        target_y=round(COLUMN_TOP + COLUMN_HEIGHT * (1 - target / 100), 1), target_label=f"{target:g}%",
    )


@dataclass
class Series:
    label: str
    css: str
    points: list[tuple[float, float, str]]  # x, y, tooltip

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y, _ in self.points)


@dataclass
class LineChart:
    title: str
    description: str
    series: list[Series]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    targets: list[tuple[float, str]]
    #: vertical markers: (x, label, text-anchor), e.g. the day a reorganisation took effect; the
    #: label runs away from the nearer edge so that it stays inside the image.
    breaks: list[tuple[float, str, str]] = field(default_factory=list)
    width: int = WIDTH
    height: int = LINE_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM


def _y(pct: float) -> float:
    return round(PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * max(0.0, min(pct, 100.0)) / 100, 1)


def line_chart(
    *,
    title: str,
    dates: list[datetime.date],
    series: list[tuple[str, str, list[float | None]]],
    targets: list[tuple[float, str]],
    breaks: list[tuple[datetime.date, str]] = (),
) -> LineChart:
    """Percentages over time: one line per ``(label, css class, values)``, dashed target lines,
    and a vertical marker at each ``(day, label)`` of ``breaks`` (placed between the points
    around that day: a reform on 1 July sits just after the June point)."""
    n = len(dates)
    span = PLOT_RIGHT - PLOT_LEFT

    def x(i: int) -> float:
        return round(PLOT_LEFT + (span * i / (n - 1) if n > 1 else span / 2), 1)

    def x_of(day: datetime.date) -> float:
        after = next((i for i, d in enumerate(dates) if d >= day), n - 1)
        if after == 0:
            return x(0)
        before = dates[after - 1]
        share = (day - before).days / max(1, (dates[after] - before).days)
        return round(x(after - 1) + (x(after) - x(after - 1)) * min(1.0, share), 1)

    drawn = []
    for label, css, values in series:
        points = [
            (x(i), _y(v), f"{label}, {dates[i]:%m/%Y}: {v:.1f}%".replace(".", ","))
            for i, v in enumerate(values)
            if v is not None
        ]
        drawn.append(Series(label, css, points))
    step = max(1, n // 6)
    x_labels = [(x(i), f"{d:%m/%y}") for i, d in enumerate(dates) if i % step == 0 or i == n - 1]
    y_ticks = [(_y(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
    last = ", ".join(f"{s.label} {s.points[-1][2].rsplit(': ', 1)[-1]}" for s in drawn if s.points)
    description = (
        _("Từ %(start)s đến %(end)s. Cuối kỳ: %(last)s.")
        % {"start": f"{dates[0]:%m/%Y}", "end": f"{dates[-1]:%m/%Y}", "last": last}
        if dates else ""
    )
    shown_breaks = [
        (at, label, "start" if at < (PLOT_LEFT + PLOT_RIGHT) / 2 else "end")
        for at, label in ((x_of(day), label) for day, label in breaks)
    ] if dates else []
    if shown_breaks:
        description = " ".join([description, *(f"{label}." for _x, label, _a in shown_breaks)])
    return LineChart(
        title=title,
        description=description,
        series=drawn,
        x_labels=x_labels,
        y_ticks=y_ticks,
        targets=[(_y(t), label) for t, label in targets],
        breaks=shown_breaks,
    )


# --- the map of provinces -------------------------------------------------------------------------

#: The frame of the map: mainland Vietnam's provinces' centroids with a margin, fixed so that a
#: province sits in the same place whatever the scope. Equirectangular: a degree of longitude is
#: cos(latitude) of a degree of latitude, at the frame's middle latitude.
MAP_LAT = (8.3, 23.6)
MAP_LON = (102.0, 109.8)
MAP_SCALE = 30  # pixels per degree of latitude
MAP_PAD = 12
DOT_MIN, DOT_MAX = 3.0, 10.0
#: Points under the target still counted as "close" (amber rather than red).
NEAR_POINTS = 20


@dataclass
class Dot:
    label: str
    x: float
    y: float
    r: float
    css: str  # reached | near | below | none
    text: str  # the tooltip: name, figure, target


@dataclass
class DotMap:
    title: str
    description: str
    dots: list[Dot]
    unplaced: list[str]
    width: int
    height: int
    legend: list[tuple[str, str]]  # (css class, label)


def project(lat: float, lon: float) -> tuple[float, float]:
    """Equirectangular projection of (lat, lon) into the map's pixel frame."""
    k = math.cos(math.radians(sum(MAP_LAT) / 2))
    x = MAP_PAD + (lon - MAP_LON[0]) * k * MAP_SCALE
    y = MAP_PAD + (MAP_LAT[1] - lat) * MAP_SCALE
    return round(x, 1), round(y, 1)


def dot_class(value: float | None, target: float) -> str:
    if value is None:
        return "none"
    if value >= target:
        return "reached"
    return "near" if value >= target - NEAR_POINTS else "below"


def dot_map(
    *,
    title: str,
    places: list[tuple[str, tuple[float, float] | None, float | None, int]],
    target: float,
) -> DotMap:
    """One dot per ``(name, (lat, lon) or None, percent, units measured)``: placed by its
    centroid, its area proportional to the units measured, its colour the percent against
    ``target``. Places without coordinates are listed in ``unplaced``, not guessed."""
    k = math.cos(math.radians(sum(MAP_LAT) / 2))
    width = round(2 * MAP_PAD + (MAP_LON[1] - MAP_LON[0]) * k * MAP_SCALE)
    height = round(2 * MAP_PAD + (MAP_LAT[1] - MAP_LAT[0]) * MAP_SCALE)
    largest = max((n for _name, _at, _v, n in places), default=0) or 1
    dots, unplaced = [], []
    for name, at, value, units in places:
        if at is None:
            unplaced.append(name)
            continue
        x, y = project(*at)
        r = round(DOT_MIN + (DOT_MAX - DOT_MIN) * math.sqrt(units / largest), 1)
        shown = "–" if value is None else f"{value:.1f}%".replace(".", ",")
        text = _("%(name)s: %(value)s (chỉ tiêu %(target)s%%, %(units)s đơn vị)") % {
            "name": name, "value": shown, "target": f"{target:g}", "units": number(units),
        }
        dots.append(Dot(name, x, y, r, dot_class(value, target), text))
    # Small dots drawn last, so that a large neighbour does not hide them.
    dots.sort(key=lambda d: -d.r)
    counts = {css: sum(1 for d in dots if d.css == css) for css in ("reached", "near", "below", "none")}
    description = _(
        "Mỗi chấm là một tỉnh, thành phố, đặt theo vị trí trung tâm; chấm càng lớn càng nhiều đơn vị. "
        "%(reached)s đạt chỉ tiêu %(target)s%%, %(near)s gần đạt (dưới không quá %(near_points)s điểm), "
        "%(below)s còn xa chỉ tiêu, %(none)s chưa có số liệu."
    ) % {**counts, "target": f"{target:g}", "near_points": NEAR_POINTS}
    legend = [
        ("reached", _("Đạt chỉ tiêu")),
        ("near", _("Gần đạt (dưới không quá %(n)s điểm)") % {"n": NEAR_POINTS}),
        ("below", _("Còn xa chỉ tiêu")),
        ("none", _("Chưa có số liệu")),
    ]
    return DotMap(title, description, dots, unplaced, width, height, legend)
