"""The staff post list's search: titles without tone marks or case, word by word, inside the
user's scope."""

from __future__ import annotations

import unicodedata

import pytest
from django.urls import reverse

from .conftest import make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts(pages):
    return {
        "title": make_post(pages["dongda"], "Ngày hội Đại đoàn kết toàn dân tộc"),
        "body_only": make_post(pages["dongda"], "Trao quà Tết", body="<p>Tinh thần đại đoàn kết.</p>"),
        "elsewhere": make_post(pages["badinh"], "Đại đoàn kết ở Ba Đình"),
    }


def _titles(client, term: str) -> set[str]:
    response = client.get(reverse("admin:pages_post_changelist"), {"q": term})
    assert response.status_code == 200
    return {p.title for p in response.context["cl"].result_list}


@pytest.mark.parametrize("term", ["dai doan ket", "ĐẠI ĐOÀN KẾT", "kết đại", unicodedata.normalize("NFD", "đoàn kết")])
def test_titles_are_found_without_tone_marks_in_any_case_and_word_order(client, posts, editor_dongda, term):
    client.force_login(editor_dongda)
    assert _titles(client, term) == {"Ngày hội Đại đoàn kết toàn dân tộc"}


def test_a_word_that_no_title_holds_finds_nothing(client, posts, editor_dongda):
    client.force_login(editor_dongda)
    assert _titles(client, "bầu cử") == set()
    assert _titles(client, "") == {p.title for k, p in posts.items() if k != "elsewhere"}
