"""The figures of spreading as the dashboard's tables (``rollout.tables``): the page shows
what the CSV/XLSX exports write, from the same objects."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from rollout.tables import DATETIME, INT, PCT, TEXT, Column, Row, Table

from .selectors import proposal_figures, spread_figures


def spreads_table(*, scope: Q) -> Table:
    table = Table(key="lan-toa", title=_("Các đợt lan tỏa xuống"), columns=[
        Column(_("Bài viết"), TEXT), Column(_("Đơn vị gửi"), TEXT), Column(_("Gửi lúc"), DATETIME),
        Column(_("Trang nhắm tới"), INT), Column(_("Chưa có trang (không gửi)"), INT),
        Column(_("Đang hiển thị"), INT), Column(_("Phủ sóng"), PCT),
        Column(_("Xác nhận"), INT), Column(_("Từ chối"), INT), Column(_("Lỗi"), INT), Column(_("Thu hồi"), INT),
    ], display_limit=100)
    for s in spread_figures(scope=scope):
        share = round(100 * s.reach / s.targeted, 1) if s.targeted else None
        table.rows.append(Row(
            cells=[s.post.title, s.from_unit.name, s.created_at, s.targeted, s.without_page, s.reach, share, s.confirmed,
                   s.declined, s.failed, s.withdrawn_n],
            links={0: reverse("admin:spreading_spread_change", args=[s.pk]), 1: s.from_unit.get_absolute_url()},
        ))
    return table


def proposals_table(*, scope: Q) -> Table:
    table = Table(key="de-xuat", title=_("Đề xuất lên cấp trên theo đơn vị"), columns=[
        Column(_("Đơn vị đề xuất"), TEXT), Column(_("Đã gửi"), INT), Column(_("Được nhận"), INT),
        Column(_("Bị từ chối"), INT), Column(_("Đang chờ"), INT),
    ], display_limit=100)
    for r in proposal_figures(scope=scope):
        table.rows.append(Row(cells=[r["spread__from_unit__name"], r["sent"], r["accepted"], r["declined"],
                                     r["waiting"]]))
    return table
