"""What a search of posts is asked and returns, shared by its finders (``pages.search`` and
``pages.search_postgres``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from orgunits.models import OrgUnit, UnitKind

from .search_rank import Group

#: The days a search may be bounded by: the database holds the bounds of these whole days in
#: any time zone (a day of year 1 or 9999 overflows once turned into local midnight).
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(9998, 12, 31)


@dataclass
class SearchFilters:
    unit: OrgUnit | None = None
    topic_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


#: post_id, published_at, title_key, body_key. A ``body_key`` of ``None``: the finder knows the
#: row holds the query's whole phrase, and did not send its body (``pages.search_postgres``).
Candidate = tuple[int, datetime.datetime, str, str | None]


def date_bounds(filters: SearchFilters) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(filters.date_from, datetime.time.min, tz) if filters.date_from else None
    end = (datetime.datetime.combine(filters.date_to + datetime.timedelta(days=1), datetime.time.min, tz)
           if filters.date_to else None)
    return start, end


def search_scope(filters: SearchFilters) -> OrgUnit | None:
    unit = filters.unit
    return unit if unit is not None and unit.kind != UnitKind.CENTRAL else None


def whole(groups: list[Group]) -> list[Group]:
    """The groups with their last syllable matched whole only."""
    return [(terms, False) for terms, _prefix in groups]
