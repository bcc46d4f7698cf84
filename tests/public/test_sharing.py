"""Sharing a post: plain share links, no third-party scripts, a 1200×630 Open Graph image."""

from __future__ import annotations

import html as html_lib
import io
import re
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from PIL import Image

from pages import services
from pages.media import process_image
from pages.og_image import og_image_name

from .conftest import live

pytestmark = pytest.mark.django_db

OG_RE = re.compile(r'<meta property="og:image" content="([^"]+)">')


def _image(unit, *, size, paint=None):
    """A verified library image of ``size``; ``paint(draw)`` marks regions to find after the crop."""
    from PIL import ImageDraw

    source = Image.new("RGB", size, (200, 30, 30))
    if paint:
        paint(ImageDraw.Draw(source))
    out = io.BytesIO()
    source.save(out, format="PNG")
    processed = process_image(io.BytesIO(out.getvalue()))
    return services.media_image_create(unit=unit, image=processed, alt_text="Ảnh bìa", credit="Ảnh: MTTQ", by=None)


def _og_file(html: str) -> Image.Image:
    url = OG_RE.search(html).group(1)
    assert url.startswith("http://testserver/media/")
    name = url.removeprefix("http://testserver/media/")
    with default_storage.open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_share_links_carry_the_absolute_url_escaped(client, posts):
    post = posts["vanmieu"]
    html = client.get(post.get_absolute_url()).content.decode()
    canonical = "http://testserver" + post.get_absolute_url()
    encoded = quote(canonical, safe="")
    assert f'href="https://www.facebook.com/sharer/sharer.php?u={encoded}"' in html
    assert f'href="https://sp.zalo.me/share_inline?url={encoded}"' in html
    assert f'data-copy-url="{html_lib.escape(canonical)}"' in html
    # Labelled for screen readers, in Vietnamese, the visible name inside the accessible one.
    assert 'aria-label="Chia sẻ qua Zalo (mở thẻ mới)">Zalo</a>' in html
    assert 'aria-label="Chia sẻ lên Facebook (mở thẻ mới)">Facebook</a>' in html
    assert 'aria-label="Sao chép liên kết bài viết">Sao chép liên kết</button>' in html
    # The copy button waits for its script; the links open apart from the page.
    assert re.search(r'<li hidden><button type="button" class="share-link share-copy"', html)
    assert html.count('target="_blank" rel="noopener noreferrer"') >= 2


def test_no_external_script_or_embed(client, posts):
    html = client.get(posts["vanmieu"].get_absolute_url()).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert '<script src="/static/js/share.js" defer>' in scripts
    for tag in scripts:
        src = re.search(r'src="([^"]*)"', tag)
        assert src is None or src.group(1).startswith("/static/"), tag
    assert "<iframe" not in html
    # Zalo and Facebook appear only as link targets, never as something the browser fetches.
    for tag in re.findall(r"<(?:img|link|source|script|iframe|embed|object)\b[^>]*>", html):
        assert "facebook" not in tag and "zalo" not in tag, tag


def test_og_image_is_1200_by_630_from_the_approved_cover(client, posts):
    post = posts["vanmieu"]
    html = client.get(post.get_absolute_url()).content.decode()
    assert _og_file(html).size == (1200, 630)
    assert _og_file(html).format == "JPEG"
    assert '<meta property="og:image:width" content="1200">' in html
    assert '<meta property="og:image:height" content="630">' in html
    assert '<meta property="og:image:type" content="image/jpeg">' in html
    assert '<meta property="og:image:alt" content="Người dân phường Văn Miếu">' in html


def test_og_image_is_cropped_to_fill_centred(client, pages):
    # A wide banner: blue and green bands at its ends must be cut off, the centre kept whole.
    def bands(draw):
        draw.rectangle((0, 0, 199, 599), fill=(0, 0, 255))
        draw.rectangle((1400, 0, 1599, 599), fill=(0, 255, 0))

    wide = live(pages["vanmieu"], "Băng rôn ngày hội", cover=_image(pages["vanmieu"].unit, size=(1600, 600), paint=bands))
    image = _og_file(client.get(wide.get_absolute_url()).content.decode()).convert("RGB")
    assert image.size == (1200, 630)
    for x in (2, 600, 1197):
        r, g, b = image.getpixel((x, 315))
        assert r > 150 and g < 80 and b < 80, (x, (r, g, b))

    # A tall portrait (smaller than the card: enlarged), its top and bottom cut equally.
    def top_and_bottom(draw):
        draw.rectangle((0, 0, 399, 99), fill=(0, 0, 255))
        draw.rectangle((0, 700, 399, 799), fill=(0, 255, 0))

    tall = live(pages["vanmieu"], "Chân dung", cover=_image(pages["vanmieu"].unit, size=(400, 800), paint=top_and_bottom))
    image = _og_file(client.get(tall.get_absolute_url()).content.decode()).convert("RGB")
    assert image.size == (1200, 630)
    for y in (2, 315, 627):
        r, g, b = image.getpixel((600, y))
        assert r > 150 and g < 80 and b < 80, (y, (r, g, b))


def test_og_image_is_made_once(client, posts, monkeypatch):
    import pages.og_image

    renders = []
    real = pages.og_image.render_og
    monkeypatch.setattr(pages.og_image, "render_og", lambda source: renders.append(1) or real(source))
    post = posts["vanmieu"]
    client.get(post.get_absolute_url())
    assert len(renders) == 1
    cache.clear()  # a cold page again: the file is found, not remade
    html = client.get(post.get_absolute_url()).content.decode()
    assert len(renders) == 1
    name = og_image_name(post.live_revision.cover)
    folder, base = name.rsplit("/", 1)
    assert [f for f in default_storage.listdir(folder)[1] if f.startswith("og-")] == [base]
    assert OG_RE.search(html).group(1).endswith(name)


def test_post_without_cover_keeps_the_plain_card(client, posts):
    html = client.get(posts["dongda"].get_absolute_url()).content.decode()
    assert "og:image" not in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_unreadable_original_falls_back_to_a_rendition(client, posts):
    post = posts["vanmieu"]
    cover = post.live_revision.cover
    default_storage.delete(cover.file.name)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    url = OG_RE.search(html).group(1)
    assert url == "http://testserver" + cover.file.url  # today's card: no rendition made in tests
    assert '<meta property="og:image:width" content="800">' in html


def test_post_page_query_count_is_unchanged(client, posts, monkeypatch, django_assert_num_queries):
    """As many queries as with the plain rendition card, whether the Open Graph file is still to
    be made (first view) or already made."""
    url = posts["vanmieu"].get_absolute_url()
    with monkeypatch.context() as patched:
        patched.setattr("pages.views.open_graph_image", lambda request, image: None)
        with django_assert_num_queries(4) as before:
            html = client.get(url).content.decode()
        assert "/og-" not in OG_RE.search(html).group(1)
    for _view in ("first, making the file", "steady state"):
        cache.clear()
        with django_assert_num_queries(len(before.captured_queries)):
            html = client.get(url).content.decode()
        assert "/og-1200x630-" in OG_RE.search(html).group(1)
