"""The staff side speaks Vietnamese whatever the browser prefers, Django's own strings
included; the rich-text editor is configured in Vietnamese from a static file."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from tests.pages.conftest import make_user

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def vi(msgid: str) -> str:
    """Django's own Vietnamese for ``msgid`` (from its catalogue, not typed here)."""
    with translation.override("vi"):
        text = translation.gettext(msgid)
    assert text != msgid, f"no Vietnamese for {msgid!r}"
    return text


def test_english_browser_gets_the_admin_in_vietnamese(client, tree, pages, editor_dongda):
    client.force_login(editor_dongda)
    response = client.get(reverse("admin:pages_post_add"), **ENGLISH)
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"
    page = response.content.decode()
    assert '<html lang="vi"' in page
    with translation.override("vi"):
        add_post = translation.gettext("Add %s") % "bài viết"
    assert add_post in page and "Add bài viết" not in page
    assert f'value="{vi("Save")}"' in page and 'value="Save"' not in page
    assert vi("Save and continue editing") in page and "Save and add another" not in page

    # A refused form: Django's error note, in Vietnamese.
    response = client.post(reverse("admin:pages_post_add"), {"title": ""}, **ENGLISH)
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override("vi"):
        note = translation.ngettext("Please correct the error below.", "Please correct the errors below.", 3)
    assert note == "Hãy sửa các lỗi dưới đây."  # Django's catalogue lacks the plural: ours has it
    assert note in page
    assert "Please correct" not in page and "This field is required." not in page
    assert vi("This field is required.") in page


def test_english_browser_gets_the_login_page_and_public_site_in_vietnamese(client, tree, pages):
    page = client.get(reverse("admin:login"), **ENGLISH).content.decode()
    assert vi("Log in") in page and ">Log in<" not in page
    response = client.get(reverse("public:home"), **ENGLISH)
    assert response.status_code == 200 and response["Content-Language"] == "vi"


def test_a_language_cookie_or_prefix_cannot_switch_to_english(client, tree, editor_dongda):
    client.force_login(editor_dongda)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:index"), **ENGLISH).content.decode()
    assert vi("Log out") in page and ">Log out<" not in page
    assert client.get("/en/quan-tri/").status_code == 404


def test_the_editor_is_configured_in_vietnamese_from_a_static_file(client, tree, pages, editor_dongda):
    client.force_login(editor_dongda)
    page = client.get(reverse("admin:pages_post_add"), **ENGLISH).content.decode()
    assert "pages/admin/editor.js" in page and "pages/admin/editor.css" in page
    script = open(finders.find("pages/admin/editor.js"), encoding="utf-8").read()  # noqa: SIM115
    # The toolbar's labels, its tooltips and the link dialog all come from Trix.config.lang.
    for key, text in {"bold": "In đậm", "bullets": "Danh sách", "link": "Liên kết", "unlink": "Bỏ liên kết",
                      "urlPlaceholder": "Nhập địa chỉ liên kết"}.items():
        assert f'{key}: "{text}' in script
    assert "Trix.config.lang" in script
    # No inline script carries it: the admin runs under a Content-Security-Policy.
    assert "Trix.config" not in page


def test_the_admin_wears_the_fronts_look(client, tree, editor_dongda):
    client.force_login(make_user("bt_khac", ("edit_content", tree.badinh)))
    page = client.get(reverse("admin:index")).content.decode()
    assert "pages/admin/workspace.css" in page
    assert 'rel="icon" href="/static/css/emblem.svg"' in page
    theme = open(finders.find("pages/admin/workspace.css"), encoding="utf-8").read()  # noqa: SIM115
    assert "--header-bg: #a3131a" in theme and 'html[data-theme="dark"]' in theme
