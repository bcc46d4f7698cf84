"""Fixtures for the public site: pages on the small tree, live posts, an empty cache."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from pages import services
from pages.models import Topic
from tests.pages.conftest import make_image, make_post, publish_post


@pytest.fixture(autouse=True)
def _clean_cache_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pages(tree):
    """Active pages on every unit of the tree except Láng Thượng (no page) and Bắc Ninh's."""
    result = {}
    for name in ("central", "hanoi", "dongda", "vanmieu", "badinh", "phucxa"):
        result[name] = services.page_create(
            unit=getattr(tree, name), by=None, activate=True, about=f"Giới thiệu {name}",
            zalo_url="https://zalo.me/123", facebook_url="https://www.facebook.com/mttq",
        )
    return result


@pytest.fixture
def topic(db) -> Topic:
    return Topic.objects.filter(is_active=True).order_by("order").first() or Topic.objects.create(name="Xã hội")


def live(page, title: str, *, days_ago: int = 0, **fields):
    """A post put live ``days_ago`` days ago."""
    post = make_post(page, title, **fields)
    return publish_post(post, at=timezone.now() - datetime.timedelta(days=days_ago, minutes=1))


@pytest.fixture
def posts(pages, topic):
    """Live posts at several levels, plus a draft that must never show."""
    image = make_image(pages["vanmieu"].unit, alt="Người dân phường Văn Miếu")
    return {
        "vanmieu": live(pages["vanmieu"], "Phường Văn Miếu trao quà cho hộ nghèo", topic=topic, cover=image,
                        summary="Tặng 50 suất quà Tết.", body="<p>Nội dung về <strong>Đống Đa</strong>.</p>",
                        author_line="Phạm Lan", photo_credit="Ảnh: H.Nguyệt", source_name="Mặt trận phường"),
        "dongda": live(pages["dongda"], "Quận Đống Đa tổng kết cuộc vận động", days_ago=1),
        "hanoi": live(pages["hanoi"], "Hà Nội phát động Ngày hội Đại đoàn kết", days_ago=2,
                      body="<p>Các khu dân cư ở Ba Đình tham gia.</p>"),
        "phucxa": live(pages["phucxa"], "Phúc Xá ra mắt trang cộng đồng", days_ago=3),
        "draft": make_post(pages["vanmieu"], "Bản nháp bí mật chưa duyệt"),
    }
