"""Unit, page and post pickers are autocompletes that answer from the field's own choices:
no form lists thousands of options, and the endpoint lists nothing the form would refuse."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from pages.models import CommunityPage, PageStatus
from tests.orgunits.test_staff_query_counts import _grow
from tests.pages.conftest import _media_root, make_user  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _autocomplete(client, app_label: str, model_name: str, field_name: str, term: str = ""):
    return client.get(reverse("admin:autocomplete"), {
        "app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term,
    })


def _ids(response) -> set[int]:
    assert response.status_code == 200
    return {int(r["id"]) for r in json.loads(response.content)["results"]}


@pytest.fixture
def grown(tree):
    editor = make_user("bt.dongda", ("edit_content", tree.dongda))
    for unit in (tree.dongda, tree.badinh, tree.hanoi):
        CommunityPage.objects.get_or_create(unit=unit, defaults={"status": PageStatus.ACTIVE})
    _grow(tree, editor)
    return editor


@pytest.mark.parametrize("url_name", [
    "admin:pages_mediaimage_add", "admin:pages_communitypage_add", "admin:orgunits_orgunituserobjectpermission_add",
    "admin:rollout_officialdocument_add", "admin:moderation_takedownrequest_add", "admin:pages_post_add",
])
def test_no_add_form_lists_the_tree(client, tree, grown, url_name):
    """As the centre's unit admin, editor and approver: every unit of a 400-commune district
    is in scope, and no picker lists them."""
    user = make_user("trung.uong", ("admin_unit", tree.central), ("edit_content", tree.central),
                     ("approve_content", tree.central))
    client.force_login(user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert len(re.findall(r"<option", html)) < 60, url_name
    assert "admin-autocomplete" in html


def test_the_unit_picker_of_a_photo_offers_the_units_where_the_user_edits(client, tree, grown):
    client.force_login(grown)
    ids = _ids(_autocomplete(client, "pages", "mediaimage", "unit"))
    assert tree.dongda.pk in ids and tree.vanmieu.pk in ids
    assert tree.badinh.pk not in ids and tree.hanoi.pk not in ids
    assert _ids(_autocomplete(client, "pages", "mediaimage", "unit", "van mieu")) == {tree.vanmieu.pk}


def test_the_unit_picker_of_a_role_offers_the_granters_active_subtree(client, tree, grown):
    unit_admin = make_user("qt.badinh", ("admin_unit", tree.badinh))
    client.force_login(unit_admin)
    ids = _ids(_autocomplete(client, "orgunits", "orgunituserobjectpermission", "content_object"))
    assert ids == {tree.badinh.pk, tree.phucxa.pk}
    # An editor administers nothing: the picker refuses, like the form.
    client.force_login(grown)
    assert _autocomplete(client, "orgunits", "orgunituserobjectpermission", "content_object").status_code == 403


def test_the_page_picker_of_a_new_page_offers_units_without_one(client, tree, grown):
    unit_admin = make_user("qt.hanoi", ("admin_unit", tree.hanoi))
    client.force_login(unit_admin)
    ids = _ids(_autocomplete(client, "pages", "communitypage", "unit", "phuong"))
    with_page = set(CommunityPage.objects.values_list("unit_id", flat=True))
    assert ids and not ids & with_page
    assert tree.bacninh.pk not in ids


def test_the_post_picker_of_a_takedown_offers_live_posts_the_user_approves(client, tree, grown):
    from tests.pages.conftest import make_post, publish_post

    approver = make_user("duyet.hanoi", ("approve_content", tree.hanoi))
    page = CommunityPage.objects.get(unit=tree.dongda)
    live = publish_post(make_post(page, "Bài đã đăng của Đống Đa"))
    client.force_login(approver)
    assert _ids(_autocomplete(client, "moderation", "takedownrequest", "post")) == {live.pk}
    client.force_login(make_user("duyet.bacninh", ("approve_content", tree.bacninh)))
    assert _ids(_autocomplete(client, "moderation", "takedownrequest", "post")) == set()


def test_the_unit_filter_offers_the_top_two_levels_of_the_scope_and_accepts_any_unit_in_it(client, tree, grown):
    """A district editor of 400 communes gets the district and its communes offered; a province
    approver the province and its districts, not the communes below."""
    approver = make_user("duyet.hanoi", ("approve_content", tree.hanoi))
    client.force_login(approver)
    response = client.get(reverse("admin:pages_post_changelist"))
    (unit_filter,) = [f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "don_vi"]
    offered = {int(value) for value, _label in unit_filter.lookup_choices}
    assert offered == {tree.hanoi.pk, tree.dongda.pk, tree.badinh.pk}
    deep = client.get(reverse("admin:pages_post_changelist"), {"don_vi": CommunityPage.objects.filter(
        unit__parent=tree.dongda).values_list("unit_id", flat=True).first()})
    assert deep.status_code == 200 and deep.context["cl"].result_count == 1
    outside = client.get(reverse("admin:pages_post_changelist"), {"don_vi": tree.bacninh.pk})
    assert outside.context["cl"].result_count == 0
