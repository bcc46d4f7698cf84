"""Where our posts reach people: the channels' stored figures per unit, as a dashboard table
(``rollout.tables``), for the page and the exports alike."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from rollout.tables import INT, TEXT, Column, Row, Table

from .models import ChannelDelivery, DeliveryState

#: What the platforms report (``services._figures``), in the table's order. Facebook gives
#: reach, reactions and clicks; Zalo views and shares.
METRICS = ("reach", "views", "reactions", "clicks", "shares")


def channel_reach_table(*, scope: Q) -> Table:
    """One row per unit with a channel inside ``scope`` (a Q on the connection's unit): posts
    carried now, and the sums of the latest figures read back from the platforms. One query."""
    table = Table(key="kenh", title=_("Bài trên Facebook, Zalo theo đơn vị"), columns=[
        Column(_("Đơn vị"), TEXT), Column(_("Bài đang có trên kênh"), INT), Column(_("Tiếp cận (Facebook)"), INT),
        Column(_("Lượt xem (Zalo)"), INT), Column(_("Cảm xúc"), INT), Column(_("Lượt bấm"), INT),
        Column(_("Chia sẻ"), INT),
    ], display_limit=100)
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(("posts", *METRICS), 0))
    rows = (ChannelDelivery.objects.filter(scope, state=DeliveryState.POSTED)
            .values_list("connection__unit__name", "connection__unit__path", "figures").order_by())
    for name, path, figures in rows.iterator(chunk_size=2000):
        unit = sums[(name, path)]
        unit["posts"] += 1
        for metric in METRICS:
            value = (figures or {}).get(metric, 0)
            unit[metric] += value if isinstance(value, int) else 0
    ranked = sorted(sums.items(), key=lambda item: (-item[1]["reach"] - item[1]["views"], item[0][0]))
    for (name, path), unit in ranked:
        table.rows.append(Row(cells=[name, unit["posts"], *(unit[m] for m in METRICS)], links={0: reverse("public:unit", kwargs={"unit_path": path})}))
    return table
