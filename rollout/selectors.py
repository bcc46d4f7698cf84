"""Reads of the rollout: who may see which part of the dashboard, and every figure on it.

Every figure is an SQL aggregation over a subtree, grouped by the child of the current unit
that contains each row (``ChildOf``: a binary search over the children's MPTT intervals). All
targets and the page counts come from one GROUP BY over the units; the dashboard of the whole
country costs the same small, fixed number of queries as a district's, whatever the number of
targets, never one per unit.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.http import Http404
from django.utils import timezone

from moderation.models import Submission
from orgunits.managers import subtree_q
from orgunits.models import OrgUnit, Reorganisation, UnitKind
from orgunits.roles import Perm
from orgunits.selectors import UserLike, unit_access_q
from pages.models import CommunityPage, PageStatus, PageStatusChange, Post
from pages.search import query_terms
from vietfront.text import search_key

from .models import Condition, DocumentKind, OfficialDocument, RolloutTarget

SILENT_DAYS = 30
OVERDUE_HOURS = 48
APPROVAL_WINDOW_DAYS = 90
ACTIVITY_WEEKS = 12
ACTIVITY_MONTHS = 12
TIMELINE_MONTHS = 24
#: Rollout levels, top down; the dashboard's tables follow this order.
KIND_ORDER = [UnitKind.CENTRAL, UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE]
DASHBOARD_PERMS = (Perm.ADMIN, Perm.APPROVE)


# --- scope --------------------------------------------------------------------------------------


def dashboard_scope_q(user: UserLike, *, unit_ref: str = "") -> Q:
    """Units in a subtree where ``user`` administers or approves: what their dashboard covers."""
    return unit_access_q(user, Perm.ADMIN, unit_ref=unit_ref) | unit_access_q(user, Perm.APPROVE, unit_ref=unit_ref)


def dashboard_roots(*, user: UserLike) -> list[OrgUnit]:
    """The top-most units of the user's dashboard scope (the centre for a superuser).

    Raises ``PermissionDenied`` for a user who neither administers nor approves anywhere
    (an editor): the dashboard is for those who answer for a subtree. One query.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied
    if user.is_superuser:
        roots = list(OrgUnit.objects.filter(parent__isnull=True, is_active=True).order_by("tree_id"))
    else:
        # Grants sit on few units: keep those not inside another granted unit.
        granted = list(
            OrgUnit.objects.filter(
                Q(user_grants__user=user.pk, user_grants__permission__codename__in=DASHBOARD_PERMS)
                | Q(group_grants__group__user=user.pk, group_grants__permission__codename__in=DASHBOARD_PERMS)
            ).distinct().order_by("tree_id", "lft")
        )
        roots = [
            u for u in granted
            if not any(o.tree_id == u.tree_id and o.lft < u.lft and u.rght < o.rght for o in granted)
        ]
    if not roots:
        raise PermissionDenied
    return roots


def access_dashboard_unit(*, user: UserLike, unit_id: int | str) -> OrgUnit:
    """A unit inside the user's dashboard scope; the same 404 for missing and forbidden."""
    try:
        pk = int(unit_id)
    except (TypeError, ValueError) as exc:
        raise Http404("No such unit.") from exc
    unit = OrgUnit.objects.filter(dashboard_scope_q(user), pk=pk).first()
    if unit is None:
        raise Http404("No such unit.")
    return unit


# --- building blocks ----------------------------------------------------------------------------


class ChildOf(Func):
    """The id of the child of ``root`` whose interval holds the row's unit (``root``'s own id for
    the root itself, and for anything under an inactive child).

    Rows are already filtered to ``root``'s subtree (same ``tree_id``), so a test on ``lft``
    decides; the children's intervals are disjoint and sorted. The SQL is a binary search of
    nested ``CASE``s (six tests per row for the 63 provinces, not 32 on average), and the
    expression compiles its one column once: the 63-branch ``CASE`` of ``When(Q)`` objects it
    replaces cost ~10 ms of Python per query to resolve and compile. The interval bounds and ids
    are integers from the database, written into the SQL as literals.
    """

    output_field = IntegerField()

    def __init__(self, root: OrgUnit, children: Iterable[OrgUnit], prefix: str = "") -> None:
        super().__init__(F(f"{prefix}lft"))
        self.intervals = sorted((int(c.lft), int(c.rght), int(c.pk)) for c in children)
        self.default = int(root.pk)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])

        def branch(lo: int, hi: int) -> tuple[str, int]:
            # SQL for intervals[lo:hi] and how many times it uses the column.
            if hi - lo == 1:
                start, end, pk = self.intervals[lo]
                return f"CASE WHEN {column} BETWEEN {start} AND {end} THEN {pk} ELSE {self.default} END", 1
            mid = (lo + hi) // 2
            left, n_left = branch(lo, mid)
            right, n_right = branch(mid, hi)
            return f"CASE WHEN {column} < {self.intervals[mid][0]} THEN {left} ELSE {right} END", 1 + n_left + n_right

        if not self.intervals:
            return str(self.default), []
        sql, uses = branch(0, len(self.intervals))
        return sql, list(params) * uses


def target_region(target: RolloutTarget, root: OrgUnit) -> OrgUnit | None:
    """Where ``target`` is measured under ``root``: the smaller of the two subtrees, or None
    when they do not meet."""
    scope = target.scope
    if scope is None or scope.tree_id != root.tree_id:
        return root if scope is None else None
    if scope.lft <= root.lft and root.rght <= scope.rght:
        return root
    if root.lft <= scope.lft and scope.rght <= root.rght:
        return scope
    return None


def condition_rows(target: RolloutTarget, now: datetime.datetime) -> QuerySet:
    """The rows (pages, documents, posts) that make their ``unit`` meet ``target``'s condition."""
    if target.condition == Condition.ACTIVE_PAGE:
        return CommunityPage.objects.filter(status=PageStatus.ACTIVE)
    if target.condition == Condition.PUBLISHED_GUIDANCE:
        documents = OfficialDocument.objects.published().filter(kind=DocumentKind.GUIDANCE)
        if target.guidance_to_kind:
            documents = documents.filter(addressed_to_kind=target.guidance_to_kind)
        return documents
    if target.condition == Condition.RECENT_POST:
        since = now - datetime.timedelta(days=target.days or 30)
        return Post.objects.published().filter(published_at__gte=since)
    raise ValueError(f"unknown condition {target.condition!r}")


def condition_expression(target: RolloutTarget, now: datetime.datetime) -> Exists:
    """EXISTS(the row that makes an ``OrgUnit`` meet ``target``'s condition)."""
    return Exists(condition_rows(target, now).filter(unit=OuterRef("pk")))


def condition_q(target: RolloutTarget, now: datetime.datetime) -> Q:
    """The same test as ``condition_expression`` for a GROUP BY over many units: ``id IN
    (unit ids)``, which PostgreSQL runs once as a hashed subplan and costs as such. A correlated
    EXISTS per target is costed per row and lifts the estimate past the JIT threshold, and
    compiling then takes ~50 ms, more than the query."""
    return Q(pk__in=condition_rows(target, now).values("unit_id"))


def measured_units(target: RolloutTarget, region: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.in_subtree(region).active().filter(kind=target.unit_kind)


def target_units(*, target: RolloutTarget, root: OrgUnit, met: bool, now: datetime.datetime | None = None) -> QuerySet[OrgUnit]:
    """The units behind a figure: those of ``target`` under ``root`` that meet it (or not)."""
    region = target_region(target, root)
    if region is None:
        return OrgUnit.objects.none()
    now = now or timezone.now()
    units = measured_units(target, region).annotate(ok=condition_expression(target, now)).filter(ok=met)
    return with_unit_details(units, now=now)


def silent_pages_units(*, root: OrgUnit, now: datetime.datetime | None = None) -> QuerySet[OrgUnit]:
    """Active units under ``root`` whose page is active but published nothing for
    ``SILENT_DAYS``: the units the figure counts (a dissolved unit's page keeps its status)."""
    now = now or timezone.now()
    recent = Post.objects.published().filter(unit=OuterRef("pk"), published_at__gte=now - datetime.timedelta(days=SILENT_DAYS))
    units = OrgUnit.objects.in_subtree(root).active().filter(page__status=PageStatus.ACTIVE).exclude(Exists(recent))
    return with_unit_details(units, now=now)


def with_unit_details(units: QuerySet[OrgUnit], *, now: datetime.datetime) -> QuerySet[OrgUnit]:
    """Add what a list of units shows: parent's name, page status, last publication."""
    last = (
        Post.objects.published().filter(unit=OuterRef("pk")).order_by("-published_at").values("published_at")[:1]
    )
    return (
        units.select_related("parent")
        .annotate(page_status=F("page__status"), last_published_at=Subquery(last))
        .order_by("tree_id", "lft")
    )


def percent(met: int, total: int) -> float | None:
    return round(100.0 * met / total, 1) if total else None


def units_short(target_percent: int, met: int, total: int) -> int:
    """How many more units must meet the target for it to be reached."""
    return max(0, math.ceil(target_percent * total / 100 - 1e-9) - met)


# --- the dashboard ------------------------------------------------------------------------------


@dataclass
class Cell:
    unit: OrgUnit
    met: int = 0
    total: int = 0

    @property
    def percent(self) -> float | None:
        return percent(self.met, self.total)


@dataclass
class TargetFigure:
    target: RolloutTarget
    region: OrgUnit
    met: int
    total: int
    by_child: list[Cell]
    #: False where the target has nothing to measure: no units of its kind in the region, or
    #: guidance addressed to a level the region lacks (the 2025 structure has no districts).
    applies: bool = True
    #: change in percentage points since the end of last month, where the history tells it.
    trend_points: float | None = None
    #: for a target that does not apply because the level it needs was dissolved in the region
    #: (the districts in the 2025 reform): the day the last unit of that level was dissolved.
    #: None where that level never existed there.
    ended_on: datetime.date | None = None

    @property
    def missing_kind(self) -> str:
        """The level whose absence keeps a target from applying: the measured one, else the one
        its guidance is addressed to."""
        return self.target.unit_kind if self.total == 0 else self.target.guidance_to_kind

    @property
    def percent(self) -> float | None:
        return percent(self.met, self.total) if self.applies else None

    @property
    def gap_points(self) -> float | None:
        pct = self.percent
        return None if pct is None else round(max(0.0, self.target.target_percent - pct), 1)

    @property
    def units_short(self) -> int:
        return units_short(self.target.target_percent, self.met, self.total) if self.applies else 0

    @property
    def reached(self) -> bool:
        return self.applies and self.total > 0 and self.units_short == 0


@dataclass
class KindFigure:
    kind: str
    total: int
    active_pages: int
    silent_pages: int

    @property
    def percent(self) -> float | None:
        return percent(self.active_pages, self.total)


@dataclass
class ApprovalFigure:
    unit_id: int
    name: str
    decided: int
    median_hours: float | None
    p90_hours: float | None


@dataclass
class QueueFigure:
    unit_id: int
    name: str
    pending: int
    overdue: int
    oldest: datetime.datetime | None


@dataclass
class Dashboard:
    root: OrgUnit
    now: datetime.datetime
    children: list[OrgUnit]
    targets: list[TargetFigure]
    kinds: list[KindFigure]
    child_pages: dict[int, tuple[int, int, int]]  # child id -> (units, active pages, silent pages)
    weeks: list[datetime.date]
    months: list[datetime.date]
    weekly: dict[int, dict[datetime.date, int]]
    monthly: dict[int, dict[datetime.date, int]]
    approval: list[ApprovalFigure]
    queue: list[QueueFigure]
    timeline: dict[str, list[tuple[datetime.date, int]]] = field(default_factory=dict)
    #: per kind, the units that existed on each of the timeline's days: its points' denominators.
    timeline_units: dict[str, list[int]] = field(default_factory=dict)
    #: effective dates of the reorganisations that dissolved units of the subtree, oldest first.
    reforms: list[datetime.date] = field(default_factory=list)

    def timeline_percent(self, kind: str, index: int) -> float | None:
        """The share of ``kind``'s units with an active page on the timeline's ``index``-th day."""
        return percent(self.timeline[kind][index][1], self.timeline_units.get(kind, [0] * (index + 1))[index])


def _local_date(value: datetime.date | datetime.datetime | None) -> datetime.date | None:
    """A truncated period as a local date (SQLite may hand back the datetime it truncated)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _month_start(day: datetime.date, back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _next_month(day: datetime.date) -> datetime.date:
    return _month_start(day, -1)


def interpolated_percentile(values: list[float], q: float) -> float | None:
    """PostgreSQL's ``percentile_cont``: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class PercentileCont(Func):
    """``percentile_cont(q) WITHIN GROUP (ORDER BY expr)``: an ordered-set aggregate (PostgreSQL)."""

    contains_aggregate = True
    template = "PERCENTILE_CONT(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))

    def get_group_by_cols(self):
        return []  # an aggregate: what it reads must not be grouped on


def dashboard_for(*, root: OrgUnit, now: datetime.datetime | None = None) -> Dashboard:
    """Every figure of the dashboard of ``root``'s subtree. A fixed number of queries."""
    now = now or timezone.now()
    children, by_id = _children(root)
    targets, kinds, child_pages = _unit_figures(root, children, by_id, now)
    weeks, months, weekly, monthly = _activity(root, children, now)
    lapsed = [f for f in targets if not f.applies]
    lives = _lifetimes(root, now, [f.region for f in lapsed if f.region.pk != root.pk])
    timeline, timeline_units = _timeline(root, now, lives)
    _ended_on(lapsed, root, lives)
    for f in targets:
        f.trend_points = _trend(f, root, timeline, timeline_units)
    return Dashboard(
        root=root,
        now=now,
        children=children,
        targets=targets,
        kinds=kinds,
        child_pages=child_pages,
        weeks=weeks,
        months=months,
        weekly=weekly,
        monthly=monthly,
        approval=_approval(root, now),
        queue=_queue(root, now),
        timeline=timeline,
        timeline_units=timeline_units,
        reforms=lives.reforms,
    )


def target_figures(*, root: OrgUnit, now: datetime.datetime | None = None) -> list[TargetFigure]:
    """Every active target as measured under ``root`` (met, total, whether it applies), without
    the rest of the dashboard: what a reorganisation's report compares before and after. Three
    queries."""
    children, by_id = _children(root)
    return _unit_figures(root, children, by_id, now or timezone.now())[0]


def _children(root: OrgUnit) -> tuple[list[OrgUnit], dict[int, OrgUnit]]:
    """``root``'s active children in tree order, and every unit a figure is grouped by."""
    children = list(
        OrgUnit.objects.filter(parent=root, is_active=True).order_by("lft").only(
            "pk", "name", "short_name", "kind", "code", "path", "tree_id", "lft", "rght", "level", "parent_id"
        )
    )
    return children, {c.pk: c for c in children} | {root.pk: root}


def _trend(
    f: TargetFigure,
    root: OrgUnit,
    timeline: dict[str, list[tuple[datetime.date, int]]],
    timeline_units: dict[str, list[int]],
) -> float | None:
    """A page target's change since the end of last month, in points, from the status history
    (the timeline's last two points). Only where the target is measured over the whole view:
    the history counts the subtree's pages, not a scoped target's region. Each point is divided
    by the units of its own day: across a reorganisation the two months count different units."""
    points = timeline.get(f.target.unit_kind, [])
    if f.target.condition != Condition.ACTIVE_PAGE or f.region.pk != root.pk or not f.applies or len(points) < 2:
        return None
    units = timeline_units[f.target.unit_kind]
    if not (units[-1] and units[-2]):
        return None
    return round(100.0 * points[-1][1] / units[-1] - 100.0 * points[-2][1] / units[-2], 1)


def _unit_figures(
    root: OrgUnit, children: list[OrgUnit], by_id: dict[int, OrgUnit], now: datetime.datetime
) -> tuple[list[TargetFigure], list[KindFigure], dict[int, tuple[int, int, int]]]:
    """Every target, and the pages per kind and per child, from one GROUP BY over the subtree's
    active units: grouped by (child, kind), with a pair of filtered counts per target (units it
    measures, units that meet it) next to the page counts. Two queries (the targets, the figures)
    whatever the number of targets; each target used to cost a scan of its own."""
    recent = Post.objects.published().filter(published_at__gte=now - datetime.timedelta(days=SILENT_DAYS))
    active = Q(page__status=PageStatus.ACTIVE)
    units = OrgUnit.objects.in_subtree(root).filter(is_active=True).annotate(grp=ChildOf(root, children))
    aggregates = {
        "total": Count("pk"),
        "active": Count("pk", filter=active),
        "silent": Count("pk", filter=active & ~Q(pk__in=recent.values("unit_id"))),
    }
    measured: list[tuple[RolloutTarget, OrgUnit]] = []
    for target in RolloutTarget.objects.filter(is_active=True).select_related("scope"):
        region = target_region(target, root)
        if region is None:
            continue
        n = len(measured)
        inside = Q(kind=target.unit_kind)
        if region.pk != root.pk:
            inside &= subtree_q(region)
        # A unit has one page, joined already for the page counts: no subquery for that test.
        ok = active if target.condition == Condition.ACTIVE_PAGE else condition_q(target, now)
        aggregates[f"total_{n}"] = Count("pk", filter=inside)
        aggregates[f"met_{n}"] = Count("pk", filter=inside & ok)
        if target.condition == Condition.PUBLISHED_GUIDANCE and target.guidance_to_kind:
            # Guidance to a level only applies where that level exists: same GROUP BY, no query.
            addressed = Q(kind=target.guidance_to_kind)
            if region.pk != root.pk:
                addressed &= subtree_q(region)
            aggregates[f"reach_{n}"] = Count("pk", filter=addressed)
        measured.append((target, region))

    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_child: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    cells: list[dict[int, Cell]] = [{} for _ in measured]
    reach = [0] * len(measured)
    for row in units.values("grp", "kind").annotate(**aggregates).order_by():
        grp = row["grp"] if row["grp"] in by_id else root.pk
        for bucket in (kinds[row["kind"]], per_child[grp]):
            bucket[0] += row["total"]
            bucket[1] += row["active"]
            bucket[2] += row["silent"]
        for n, per_target in enumerate(cells):
            reach[n] += row.get(f"reach_{n}", 1)
            if row[f"total_{n}"]:
                cell = per_target.setdefault(grp, Cell(by_id[grp]))
                cell.total += row[f"total_{n}"]
                cell.met += row[f"met_{n}"]

    figures = []
    for (target, region), per_target, reached_kind in zip(measured, cells, reach, strict=True):
        ordered = ([per_target[root.pk]] if root.pk in per_target else []) + [
            per_target[c.pk] for c in children if c.pk in per_target
        ]
        total = sum(c.total for c in ordered)
        figures.append(
            TargetFigure(
                target=target,
                region=region,
                met=sum(c.met for c in ordered),
                total=total,
                by_child=ordered,
                applies=total > 0 and reached_kind > 0,
            )
        )
    kind_figures = [KindFigure(kind, *kinds[kind]) for kind in KIND_ORDER if kind in kinds]
    return figures, kind_figures, {k: tuple(v) for k, v in per_child.items()}


def _activity(root: OrgUnit, children: list[OrgUnit], now: datetime.datetime):
    """Posts published per child per week (last 12 weeks) and per month (last 12 months).

    One query grouped by (child, month, week), the week left empty before the 12 weeks shown:
    each post falls in exactly one such group, so summing over weeks gives the months. That
    keeps the result to ~2 × 12 rows per child (it was one row per child and week for the whole
    year), and the periods come back as local dates, not datetimes to convert one by one.
    """
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now).date()
    this_week = today - datetime.timedelta(days=today.weekday())
    weeks = [this_week - datetime.timedelta(weeks=n) for n in range(ACTIVITY_WEEKS - 1, -1, -1)]
    months = [_month_start(today, n) for n in range(ACTIVITY_MONTHS - 1, -1, -1)]
    weeks_from = timezone.make_aware(datetime.datetime.combine(weeks[0], datetime.time.min), tz)
    months_from = timezone.make_aware(datetime.datetime.combine(months[0], datetime.time.min), tz)
    rows = (
        Post.objects.published()
        .filter(subtree_q(root, "unit__"), published_at__gte=min(weeks_from, months_from))
        .annotate(
            grp=ChildOf(root, children, "unit__"),
            month=TruncMonth("published_at", tzinfo=tz, output_field=DateField()),
            week=Case(
                When(published_at__gte=weeks_from, then=TruncWeek("published_at", tzinfo=tz, output_field=DateField())),
                default=None,
                output_field=DateField(),
            ),
        )
        .values("grp", "month", "week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    weekly: dict[int, dict[datetime.date, int]] = defaultdict(dict)
    monthly: dict[int, dict[datetime.date, int]] = defaultdict(dict)
    first_month = months[0]
    for row in rows:
        grp, month, week, n = row["grp"], _local_date(row["month"]), _local_date(row["week"]), row["n"]
        if week is not None:
            weekly[grp][week] = weekly[grp].get(week, 0) + n
        if month >= first_month:
            monthly[grp][month] = monthly[grp].get(month, 0) + n
    return weeks, months, weekly, monthly


def _approval(root: OrgUnit, now) -> list[ApprovalFigure]:
    """Median and 90th percentile of the time from submission to decision, per approving unit
    under ``root``, over decisions of the last ``APPROVAL_WINDOW_DAYS`` days."""
    duration = ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
    decided = Submission.objects.filter(
        subtree_q(root, "approving_unit__"),
        state__in=[Submission.State.APPROVED, Submission.State.SENT_BACK],
        decided_at__isnull=False,
        decided_at__gte=now - datetime.timedelta(days=APPROVAL_WINDOW_DAYS),
    )
    figures: list[ApprovalFigure] = []
    if connection.vendor == "postgresql":
        rows = (
            decided.values("approving_unit_id", "approving_unit__name", "approving_unit__lft")
            .annotate(n=Count("pk"), median=PercentileCont(duration, 0.5), p90=PercentileCont(duration, 0.9))
            .order_by("approving_unit__lft")
        )
        for row in rows:
            figures.append(
                ApprovalFigure(
                    row["approving_unit_id"], row["approving_unit__name"], row["n"],
                    _hours(row["median"]), _hours(row["p90"]),
                )
            )
        return figures
    # SQLite has no ordered-set aggregates: one query for the durations, percentiles in Python.
    samples: dict[tuple[int, str, int], list[float]] = defaultdict(list)
    for unit_id, name, lft, value in decided.annotate(d=duration).values_list(
        "approving_unit_id", "approving_unit__name", "approving_unit__lft", "d"
    ):
        samples[(unit_id, name, lft)].append(value.total_seconds())
    for (unit_id, name, _lft), seconds in sorted(samples.items(), key=lambda item: item[0][2]):
        figures.append(
            ApprovalFigure(
                unit_id, name, len(seconds),
                round(interpolated_percentile(seconds, 0.5) / 3600, 2),
                round(interpolated_percentile(seconds, 0.9) / 3600, 2),
            )
        )
    return figures


def _hours(value: datetime.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def _queue(root: OrgUnit, now) -> list[QueueFigure]:
    """Pending submissions per approving unit under ``root``, with those older than 48 hours."""
    cutoff = now - datetime.timedelta(hours=OVERDUE_HOURS)
    rows = (
        Submission.objects.filter(subtree_q(root, "approving_unit__"), state=Submission.State.PENDING)
        .values("approving_unit_id", "approving_unit__name", "approving_unit__lft")
        .annotate(pending=Count("pk"), overdue=Count("pk", filter=Q(submitted_at__lt=cutoff)), oldest=Min("submitted_at"))
        .order_by("-overdue", "approving_unit__lft")
    )
    return [
        QueueFigure(r["approving_unit_id"], r["approving_unit__name"], r["pending"], r["overdue"], r["oldest"])
        for r in rows
    ]


def _exists_on(is_active: bool, dissolved_on: datetime.date | None, day: datetime.date) -> bool:
    """Whether a unit that ended as given (``is_active``, ``dissolved_on``) still existed on ``day``.

    A dissolved unit existed until the day before ``dissolved_on``. A unit made inactive without
    a date has no known end: it is left out of the history, as it is of today's figures, rather
    than counted for ever."""
    return is_active or (dissolved_on is not None and dissolved_on > day)


def _timeline_days(now: datetime.datetime) -> list[datetime.date]:
    """The first day of each month the timeline may show, oldest first (``TIMELINE_MONTHS``)."""
    today = timezone.localtime(now).date()
    return [_month_start(today, n) for n in range(TIMELINE_MONTHS - 1, -1, -1)]


def _point_day(month: datetime.date, today: datetime.date) -> datetime.date:
    """The day a month's point stands for: its last day, or today for the current month."""
    return min(_next_month(month) - datetime.timedelta(days=1), today)


@dataclass
class Lifetimes:
    """The subtree's units, dissolved ones included, by how they ended: one row per (kind,
    is_active, dissolved_on), with how many of them had been created by the end of each of
    the timeline's months (``created[i]``, the months of ``_timeline_days``)."""

    rows: list[dict]
    reforms: list[datetime.date]

    def existing(self, kind: str, index: int, day: datetime.date) -> int:
        """Units of ``kind`` created by the end of the ``index``-th month and not dissolved on ``day``."""
        return sum(
            row[f"created_{index}"] for row in self.rows
            if row["kind"] == kind and _exists_on(row["is_active"], row["dissolved_on"], day)
        )


def _lifetimes(root: OrgUnit, now: datetime.datetime, regions: list[OrgUnit]) -> Lifetimes:
    """The units the timeline divides by, the dates levels were dissolved, and the
    reorganisations that dissolved them. One query over the subtree's units (dissolved ones
    included), grouped by kind and end: a handful of rows, since units are dissolved on a few
    dates. The month-end counts are filtered counts (``created_at`` before the next month's
    start) rather than a GROUP BY month, which would convert each row's time zone. ``regions``:
    the scoped regions of targets that do not apply, each with its own count (``in_<i>``), so
    that the day their level ended is read in the region, not the whole view.
    """
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now).date()
    aggregates = {
        # An effective date of an applied reorganisation: that day's dissolutions are a reform.
        "reform": Count("pk", filter=Q(dissolved_on__in=Reorganisation.objects.values("effective_on"))),
    }
    for i, month in enumerate(_timeline_days(now)):
        end = timezone.make_aware(datetime.datetime.combine(_next_month(month), datetime.time.min), tz)
        aggregates[f"created_{i}"] = Count("pk", filter=Q(created_at__lt=end) if _next_month(month) <= today else None)
    for i, region in enumerate(regions):
        aggregates[f"in_{i}"] = Count("pk", filter=subtree_q(region))
    rows = list(
        OrgUnit.objects.in_subtree(root).values("kind", "is_active", "dissolved_on").annotate(**aggregates).order_by()
    )
    reforms = sorted({r["dissolved_on"] for r in rows if r["reform"] and r["dissolved_on"] is not None})
    return Lifetimes(rows=rows, reforms=reforms)


def _ended_on(lapsed: list[TargetFigure], root: OrgUnit, lives: Lifetimes) -> None:
    """Set, on each target that does not apply, the day the last unit of its missing level was
    dissolved in its region (none where the level never existed there). No query."""
    regions = [f.region.pk for f in lapsed if f.region.pk != root.pk]
    for f in lapsed:
        kind = f.missing_kind
        key = None if f.region.pk == root.pk else f"in_{regions.index(f.region.pk)}"
        ended = [
            row["dissolved_on"] for row in lives.rows
            if row["kind"] == kind and not row["is_active"] and row["dissolved_on"] is not None
            and (key is None or row[key])
        ]
        f.ended_on = max(ended, default=None)


def _timeline(
    root: OrgUnit, now: datetime.datetime, lives: Lifetimes
) -> tuple[dict[str, list[tuple[datetime.date, int]]], dict[str, list[int]]]:
    """Active pages at the end of each month, per kind, from the page status history, and the
    units of that kind that existed then (the points' denominators).

    Each change moves one page into or out of "active" (``from_status``/``to_status``), so the
    active count at a month's end is the running sum of (+1 into active, −1 out of active) up to
    that month, over the pages of units that still existed then: a dissolved unit's page keeps
    its status, and would otherwise stay counted after the unit is gone. One query grouped by
    kind, month and how the unit ended (a few dissolution dates); the sums in Python. The
    denominators come from ``lives``: a month before a reform divides by the units of then.
    """
    tz = timezone.get_current_timezone()
    rows = (
        PageStatusChange.objects.filter(subtree_q(root, "page__unit__"))
        .annotate(month=TruncMonth("at", tzinfo=tz))
        .values("page__unit__kind", "month", "page__unit__is_active", "page__unit__dissolved_on")
        .annotate(
            up=Count("pk", filter=Q(to_status=PageStatus.ACTIVE)),
            down=Count("pk", filter=Q(from_status=PageStatus.ACTIVE)),
        )
        .order_by("month")
    )
    # kind -> [(month, is_active, dissolved_on, delta)]
    deltas: dict[str, list[tuple[datetime.date, bool, datetime.date | None, int]]] = defaultdict(list)
    for row in rows:
        deltas[row["page__unit__kind"]].append(
            (_local_date(row["month"]), row["page__unit__is_active"], row["page__unit__dissolved_on"],
             row["up"] - row["down"])
        )
    if not deltas:
        return {}, {}
    today = timezone.localtime(now).date()
    window = _timeline_days(now)
    first = max(min(month for per_kind in deltas.values() for month, *_rest in per_kind), window[0])
    months = [(i, month) for i, month in enumerate(window) if month >= first]
    series: dict[str, list[tuple[datetime.date, int]]] = {}
    units: dict[str, list[int]] = {}
    for kind in KIND_ORDER:
        if kind not in deltas:
            continue
        points, existing = [], []
        for i, month in months:
            day = _point_day(month, today)
            active = sum(
                delta for changed, is_active, dissolved_on, delta in deltas[kind]
                if changed <= month and _exists_on(is_active, dissolved_on, day)
            )
            points.append((day, active))
            existing.append(lives.existing(kind, i, day))
        series[kind] = points
        units[kind] = existing
    return series, units


# --- documents ----------------------------------------------------------------------------------


def public_documents(*, unit: OrgUnit, query: str = "") -> QuerySet[OfficialDocument]:
    """The documents the public sees on ``unit``'s register: those it issued, and those its
    ancestors addressed to its level (a province's guidance to districts is listed on every
    district of the province), each annotated ``from_above``. One query.

    Listed and searched by what was approved: ``query`` matches the number, or the live
    revision's title, summary and body through the public search index (``pages.PostSearch``,
    built from live revisions only), never the working copy an edit awaiting review may have
    changed. Every word must match, without regard to tone marks ("huong dan" finds "Hướng dẫn").
    """
    own = Q(unit=unit)
    above = Q(
        unit__tree_id=unit.tree_id, unit__lft__lt=unit.lft, unit__rght__gt=unit.rght, addressed_to_kind=unit.kind
    )
    documents = (
        OfficialDocument.objects.published()
        .filter(own | above)
        .annotate(
            from_above=Case(When(unit=unit, then=Value(False)), default=Value(True), output_field=BooleanField())
        )
        .select_related("post__live_revision", "unit")
        .prefetch_related("post__documents")
        .order_by("-issued_on", "-id")
    )
    key = search_key(query)
    if key:
        words = Q()
        for term in query_terms(query):
            words &= (
                Q(post__search_entry__title_key__contains=term)
                | Q(post__search_entry__body_key__contains=term)
                | Q(number_key__contains=term)
            )
        documents = documents.filter(Q(number_key__contains=key) | words)
    return documents


def public_document(*, unit_path: str, pk: int) -> OfficialDocument:
    document = (
        OfficialDocument.objects.published()
        .filter(pk=pk, unit__path=unit_path)
        .select_related("post__live_revision", "unit", "post__topic")
        .prefetch_related("post__documents")
        .first()
    )
    if document is None:
        raise Http404("No such document.")
    return document
