"""What citizens see: "Từ cấp trên" with provenance, at the same query count, gone everywhere
(pages, caches, feeds, search) when the spread or the post is withdrawn."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.services import post_take_down, post_withdraw
from spreading import services
from spreading.models import Delivery, Scope
from tests.pages.conftest import make_user
from tests.spreading.conftest import live


def spread(post, unit, by, capture, **kw):
    with capture(execute=True):
        return services.spread_down(post=post, from_unit=unit, by=by, **kw)


def section(html: str) -> str:
    """The "Từ cấp trên" section of a unit page ('' when absent)."""
    start = html.find('id="from-above-h"')
    return "" if start < 0 else html[start:html.find("</section>", start)]


def test_a_commune_page_shows_the_post_with_its_provenance(
    client, tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    assert section(client.get(tree.vanmieu.get_absolute_url()).content.decode()) == ""
    spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
           scope=Scope.UNITS, units=[tree.vanmieu])
    html = client.get(tree.vanmieu.get_absolute_url()).content.decode()
    box = section(html)
    assert "Từ cấp trên" in box
    assert "Tin từ Thành phố Hà Nội" in box and f'href="{tree.hanoi.get_absolute_url()}"' in box
    assert f'href="{hanoi_post.get_absolute_url()}"' in box  # the one canonical post, not a copy
    assert hanoi_post.title in box
    # a page it was not sent to does not show it
    assert section(client.get(tree.phucxa.get_absolute_url()).content.decode()) == ""


def test_ask_first_shows_nothing_until_confirmed(
    client, tree, hanoi_post, approver_hanoi, editor_vanmieu, django_capture_on_commit_callbacks
):
    spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
           scope=Scope.UNITS, units=[tree.vanmieu], ask_confirmation=True)
    url = tree.vanmieu.get_absolute_url()
    assert section(client.get(url).content.decode()) == ""
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_confirm(delivery=Delivery.objects.get(unit=tree.vanmieu), by=editor_vanmieu)
    assert hanoi_post.title in section(client.get(url).content.decode())  # the cached page was invalidated


def test_unit_pages_carrying_spread_posts_keep_their_query_count(
    client, tree, pages, approver_hanoi, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from django.core.cache import cache

    url = tree.vanmieu.get_absolute_url()
    for n in range(8):
        live(pages["vanmieu"], f"Tin riêng của phường {n}")
    for n in range(10):
        post = live(pages["hanoi"], f"Tin Hà Nội gửi xuống {n}")
        spread(post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    cache.clear()
    with django_assert_max_num_queries(5):  # the unit page's budget before spreading existed
        html = client.get(url).content.decode()
    assert section(html).count('class="spread-item"') == 6
    assert "Tin riêng của phường 7" in html


@pytest.mark.parametrize("how", ["withdraw_spread", "withdraw_post", "take_down_post"])
def test_withdrawal_removes_it_everywhere(
    how, client, tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks
):
    spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks)
    targets = [tree.vanmieu, tree.dongda, tree.badinh, tree.phucxa]
    feed = reverse("public:feed_rss", kwargs={"unit_path": tree.hanoi.path})
    search = reverse("public:search") + "?q=thang+cao+diem+nguoi+ngheo"
    for unit in targets:  # warm every cache
        assert hanoi_post.title in section(client.get(unit.get_absolute_url()).content.decode())
    assert hanoi_post.title in client.get(feed).content.decode()
    post_url = hanoi_post.get_absolute_url()
    assert post_url in client.get(search).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        if how == "withdraw_spread":
            services.spread_withdraw(spread=hanoi_post.spreads.get(), by=approver_hanoi, reason="Đã cũ")
        elif how == "withdraw_post":
            post_withdraw(post=hanoi_post, by=approver_hanoi, reason="Rút")
        else:
            post_take_down(post=hanoi_post, by=make_user("tw", ("approve_content", tree.central)), reason="Sai")
    for unit in targets:
        assert section(client.get(unit.get_absolute_url()).content.decode()) == "", unit.name
    if how != "withdraw_spread":  # the post itself is off the site: its feed and search too
        assert hanoi_post.title not in client.get(feed).content.decode()
        assert post_url not in client.get(search).content.decode()
    assert Delivery.objects.filter(post=hanoi_post).count() == 4  # the record stays


def test_a_hostile_provenance_is_text(client, tree, hanoi_post, approver_hanoi, django_capture_on_commit_callbacks):
    """The "Tin từ …" line of a spread card holds the sending unit's name as text."""
    from orgunits.models import OrgUnit

    OrgUnit.objects.filter(pk=tree.hanoi.pk).update(name='<img src=x onerror=alert(1)>"Hà Nội"')
    spread(hanoi_post, tree.hanoi, approver_hanoi, django_capture_on_commit_callbacks,
           scope=Scope.UNITS, units=[tree.vanmieu])
    box = section(client.get(tree.vanmieu.get_absolute_url()).content.decode())
    assert "Tin từ &lt;img src=x onerror=alert(1)&gt;&quot;Hà Nội&quot;</a>" in box
    assert "<img src=x" not in box
