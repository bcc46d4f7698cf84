"""The public pages complete: a Vietnamese web font shipped with the site, every topic in the
phone menu, the provinces laid out on the home page, pagers, the unit's own contact details,
and the site's own 404 and 500 pages whatever DEBUG says."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils import timezone

from pages import services
from pages.models import CommunityPage, Tag, Topic
from tests.pages.conftest import make_post, publish_post

pytestmark = pytest.mark.django_db

FONT_DIR = "vendor/fonts/noto-serif"
FONT_FILES = [
    f"noto-serif-{subset}-{style}.woff2"
    for subset in ("latin", "vietnamese")
    for style in ("400-normal", "700-normal", "400-italic")
]


# --- the font ----------------------------------------------------------------------------------------


def _font_faces() -> list[str]:
    css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    return re.findall(r"@font-face\s*{([^}]*)}", css)


def test_the_serif_ships_as_latin_and_vietnamese_woff2_files_under_the_ofl():
    for name in FONT_FILES:
        path = finders.find(f"{FONT_DIR}/{name}")
        assert path, name
        assert Path(path).read_bytes()[:4] == b"wOF2", name  # a real WOFF2, not a pointer file
    licence = Path(finders.find(f"{FONT_DIR}/LICENSE")).read_text(encoding="utf-8")
    assert "SIL Open Font License" in licence


def test_every_face_swaps_and_is_cut_to_its_subset():
    faces = _font_faces()
    assert len(faces) == len(FONT_FILES)
    used = set()
    for face in faces:
        assert '"Noto Serif"' in face
        assert "font-display: swap" in face
        [url] = re.findall(r'url\("\.\./vendor/fonts/noto-serif/([^"]+)"\)', face)
        used.add(url)
        # Vietnamese letters (ạ…ỹ, ơ, ư, đ) come from the vietnamese file; Latin from the other.
        expected = "U+1EA0-1EF9" if "vietnamese" in url else "U+0000-00FF"
        assert expected in face, url
    assert used == set(FONT_FILES)


def test_pages_preload_the_heading_font_and_the_policy_allows_it(client, tree):
    response = client.get("/")
    html = response.content.decode()
    for name in ("noto-serif-latin-700-normal.woff2", "noto-serif-vietnamese-700-normal.woff2"):
        href = static(f"{FONT_DIR}/{name}")
        assert f'<link rel="preload" href="{href}" as="font" type="font/woff2" crossorigin>' in html
    policy = response["Content-Security-Policy"]
    assert "font-src 'self'" in policy
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


# --- the phone menu and the provinces ----------------------------------------------------------------


def test_the_menu_holds_every_active_topic(client, tree):
    Topic.objects.create(name="Dân tộc, tôn giáo", slug="dan-toc-ton-giao", order=999)
    Topic.objects.create(name="Chủ đề đã ẩn", slug="chu-de-da-an", order=1000, is_active=False)
    html = client.get("/").content.decode()
    nav = html[html.index('id="site-nav"'):html.index("</nav>", html.index('id="site-nav"'))]
    active = list(Topic.objects.filter(is_active=True))
    assert len(active) >= 9
    for topic in active:
        assert f'href="/chu-de/{topic.slug}/"' in nav, topic.name
    assert "chu-de-da-an" not in nav


def test_the_home_lists_every_province_at_full_width_with_a_cue_from_the_top(client, tree):
    html = client.get("/").content.decode()
    assert '<a href="#tinh-thanh">Xem 2 tỉnh, thành phố ↓</a>' in html
    section = html[html.index('id="tinh-thanh"'):]
    section = section[:section.index("</section>")]
    names = re.findall(r'<li><a href="[^"]+">([^<]+)</a>', section)
    assert names == [tree.hanoi.name, tree.bacninh.name]  # official order, by code
    aside = html[html.index('<aside'):html.index("</aside>")]
    assert tree.hanoi.name not in aside  # no longer a scroll box in the side column
    css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    rule = re.search(r"\.unit-list \{([^}]*)\}", css).group(1)
    assert "max-height" not in rule and "overflow" not in rule


# --- pagers ---------------------------------------------------------------------------------------------


@pytest.fixture
def many_posts(pages):
    tag = Tag.objects.create(name="Đại đoàn kết", slug="dai-doan-ket")
    topic = Topic.objects.filter(is_active=True).order_by("order").first()
    for n in range(21):
        post = make_post(pages["vanmieu"], f"Tin số {n:02d} của phường", topic=topic)
        post.tags.add(tag)  # before publishing: the public index reads the tags then
        publish_post(post, at=timezone.now() - datetime.timedelta(days=n, minutes=1))
    return topic, tag


@pytest.mark.parametrize("url", ["/bai-viet/", "/ha-noi/quan-dong-da/bai-viet/", "chu-de", "the"])
def test_every_list_of_posts_has_a_pager(client, tree, many_posts, url):
    topic, tag = many_posts
    url = {"chu-de": f"/chu-de/{topic.slug}/", "the": f"/the/{tag.slug}/"}.get(url, url)
    first = client.get(url).content.decode()
    assert first.count('class="card') >= 20 and "Tin số 00 của phường" in first
    assert 'rel="next" href="?trang=2"' in first and 'rel="prev"' not in first
    second = client.get(url, {"trang": 2}).content.decode()
    assert "Tin số 20 của phường" in second and "Tin số 00 của phường" not in second
    assert 'rel="prev" href="?trang=1"' in second and 'rel="next"' not in second
    assert "Trang 2" in second


# --- contact details ------------------------------------------------------------------------------------


def _profile(client, unit) -> str:
    html = client.get(unit.get_absolute_url()).content.decode()
    return html[html.index('class="profile'):html.index("</section>", html.index('class="profile'))]


def test_the_unit_page_shows_every_contact_detail_its_profile_holds(client, tree):
    services.page_create(
        unit=tree.vanmieu, by=None, activate=True,
        address="Số 6 phố Văn Miếu, phường Văn Miếu Quốc Tử Giám, Hà Nội", phone="024 3845 0000",
        email="mattran.vanmieu@hanoi.gov.vn", zalo_url="https://zalo.me/123", facebook_url="https://www.facebook.com/mttq",
    )
    profile = _profile(client, tree.vanmieu)
    assert '<h2 id="contact-h" class="contact-title">Liên hệ</h2>' in profile
    assert "Số 6 phố Văn Miếu, phường Văn Miếu Quốc Tử Giám, Hà Nội" in profile
    assert '<a href="tel:02438450000">024 3845 0000</a>' in profile
    assert '<a href="mailto:mattran.vanmieu@hanoi.gov.vn">' in profile
    assert 'href="https://zalo.me/123"' in profile and 'href="https://www.facebook.com/mttq"' in profile


def test_only_the_details_filled_in_are_shown_and_none_means_no_block(client, tree):
    services.page_create(unit=tree.dongda, by=None, activate=True, phone="024 3851 0000")
    services.page_create(unit=tree.badinh, by=None, activate=True)
    only_phone = _profile(client, tree.dongda)
    assert "024 3851 0000" in only_phone
    assert "Địa chỉ" not in only_phone and "Thư điện tử" not in only_phone and "zalo" not in only_phone
    nothing = _profile(client, tree.badinh)
    assert "Liên hệ" not in nothing and "contact" not in nothing


def test_a_suspended_page_shows_no_contact_details(client, tree):
    page = services.page_create(unit=tree.dongda, by=None, activate=True, phone="024 3851 0000")
    services.page_set_status(page=page, status="suspended", by=None, reason="Đang kiện toàn")
    assert CommunityPage.objects.get(pk=page.pk).status == "suspended"
    assert "024 3851 0000" not in _profile(client, tree.dongda)


# --- 404 and 500 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "url",
    ["/khong-co-trang-nay/", "/ha-noi/khong-co-quan-nay/", "/ha-noi/bai-viet/khong-co/", "/KHONG-CO/", "/a.php"],
)
def test_a_wrong_address_gets_the_sites_own_404_in_every_mode(client, tree, settings, debug, url):
    settings.DEBUG = debug
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy trang bạn cần" in html
    assert 'name="q"' in html  # the search box
    assert "Page not found" not in html and "URLconf" not in html
    assert "no-cache" in response["Cache-Control"]


def test_a_missing_trailing_slash_still_redirects_with_debug_on(client, tree, settings):
    settings.DEBUG = True
    response = client.get("/ha-noi")
    assert response.status_code == 301
    assert response["Location"] == "/ha-noi/"


def test_the_admin_keeps_djangos_technical_404_for_developers(client, settings, tree):
    from django.contrib.auth import get_user_model

    settings.DEBUG = True
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "x"))
    response = client.get("/quan-tri/khong-co-muc-nay/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy trang bạn cần" not in html and "URLconf" in html


def test_a_server_error_gets_the_sites_500_page(client, tree, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("pages.views.unit_context", broken)
    client.raise_request_exception = False
    settings.DEBUG = False
    response = client.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Xin lỗi, hệ thống đang gặp sự cố" in html and "database on fire" not in html
    # Under DEBUG a developer still gets the traceback: that is what DEBUG is for.
    settings.DEBUG = True
    assert "database on fire" in client.get("/").content.decode()


def test_the_settings_install_the_404_middleware():
    assert "pages.middleware.SiteNotFoundMiddleware" in settings.MIDDLEWARE
