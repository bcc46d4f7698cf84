"""Fixtures for channel tests: a Fernet key, the fake platforms, connections, a live post."""

from __future__ import annotations

import io
import random

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from PIL import Image

from channels.models import ChannelConnection, Platform
from channels.services import connection_save
from moderation import services as workflow
from pages.models import Post
from tests.moderation.workflow_fixtures import *  # noqa: F403 - the people fixture
from tests.moderation.workflow_fixtures import make_post

from .fakes import FakeGraph, FakeZalo

FB_TOKEN = "EAAG-page-token-dongda-7f3a9c"  # noqa: S105 - a test value
ZALO_TOKEN = "zalo-oa-access-dongda-91b2"  # noqa: S105
ZALO_REFRESH = "zalo-oa-refresh-dongda-55aa"  # noqa: S105


@pytest.fixture(autouse=True)
def _channel_settings(settings, tmp_path):
    settings.VIETFRONT_CHANNEL_KEY = Fernet.generate_key().decode()
    settings.VIETFRONT_CHANNEL_POSTS_PER_MINUTE = 1000
    settings.VIETFRONT_CHANNEL_HTTP_TIMEOUT = 5
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VIETFRONT_SITE_URL = "https://trangcongdong.example.vn"
    cache.clear()


@pytest.fixture
def graph(settings):
    server = FakeGraph().start()
    settings.VIETFRONT_FACEBOOK_GRAPH_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def zalo(settings):
    server = FakeZalo().start()
    settings.VIETFRONT_ZALO_ARTICLE_URL = server.article_url
    settings.VIETFRONT_ZALO_OAUTH_URL = server.oauth_url
    settings.VIETFRONT_ZALO_APP_ID = "4321"
    settings.VIETFRONT_ZALO_APP_SECRET = server.secret
    yield server
    server.stop()


@pytest.fixture
def fb_connection(tree, graph) -> ChannelConnection:
    graph.pages["1122334455"] = FB_TOKEN
    return connection_save(
        connection=ChannelConnection(unit=tree.dongda, platform=Platform.FACEBOOK, external_id="1122334455",
                                     name="MTTQ quận Đống Đa"),
        by=None, access_token=FB_TOKEN,
    )


@pytest.fixture
def zalo_connection(tree, zalo) -> ChannelConnection:
    zalo.tokens.add(ZALO_TOKEN)
    zalo.refresh_tokens.add(ZALO_REFRESH)
    return connection_save(
        connection=ChannelConnection(unit=tree.dongda, platform=Platform.ZALO, external_id="998877665544",
                                     name="Zalo MTTQ Đống Đa"),
        by=None, access_token=ZALO_TOKEN, refresh_token=ZALO_REFRESH,
    )


def noisy_jpeg(size=(1600, 1000), seed=7) -> bytes:
    """Noise compresses badly: a JPEG of it is large, as phone photos are."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def make_cover(unit, size=(1200, 800)):
    from pages.media import process_image
    from pages.services import media_image_create

    processed = process_image(io.BytesIO(noisy_jpeg(size)))
    return media_image_create(unit=unit, image=processed, alt_text="Lễ ra quân", credit="Ảnh: H.Nguyệt", by=None)


def publish(post: Post, people, capture) -> Post:
    """Submit and approve ``post``; the after-commit callbacks (publishing, then the channel
    deliveries with eager Celery) run as a worker would run them."""
    workflow.post_submit(post=post, by=people.editor)
    with capture(execute=True):
        workflow.post_approve(post=post, by=people.approver)
    return Post.objects.get(pk=post.pk)


@pytest.fixture
def draft(tree, people) -> Post:
    return make_post(tree.dongda, people.editor, cover=make_cover(tree.dongda))
