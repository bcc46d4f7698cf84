"""Object decisions in the admin, for users who hold roles in several places and through
groups: every decision on an object is taken on that object's own unit.

A user who approves in Hà Nội and edits in Bắc Ninh may read Quận Đống Đa's drafts (Hà Nội's
approvers decide on them) but change nothing there; a user holding the same roles through
groups is the same user for the admin; a unit admin of Ba Đình sees nothing of Đống Đa.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm

from moderation.services import post_approve, post_submit
from pages.models import CommunityPage, MediaImage, Post, PostDocument, PostStatus
from tests.orgunits.test_auth import totp_token
from tests.pages.conftest import _media_root, make_image, make_user, pages  # noqa: F401 - fixtures
from tests.pages.conftest import publish_post as publish
from tests.pages.test_admin import _snapshot

pytestmark = pytest.mark.django_db

ADMIN = "admin"


@pytest.fixture
def dongda(pages, tree):  # noqa: F811 - the imported fixture
    """Đống Đa's draft post with a cover and a document, and its page."""
    from tests.moderation.workflow_fixtures import make_post

    editor = make_user("bt.dongda", ("edit_content", tree.dongda))
    image = make_image(tree.dongda, alt="Ảnh bí mật Đống Đa")
    post = make_post(tree.dongda, editor, title="Bản nháp bí mật của Đống Đa", cover=image)
    document = PostDocument.objects.create(
        post=post, title="Kế hoạch nội bộ Đống Đa", file=SimpleUploadedFile("k.pdf", b"%PDF-1.4"),
        original_name="k.pdf", kind="pdf", size=8,
    )
    return {"post": post, "image": image, "page": pages["dongda"], "document": document, "editor": editor}


def two_places(tree):
    return make_user("hai.noi", ("approve_content", tree.hanoi), ("edit_content", tree.bacninh))


def through_groups(tree):
    user = make_user("qua.nhom")
    approvers, editors = Group.objects.create(name="Duyệt Hà Nội"), Group.objects.create(name="Biên tập Bắc Ninh")
    assign_perm("orgunits.approve_content", approvers, tree.hanoi)
    assign_perm("orgunits.edit_content", editors, tree.bacninh)
    user.groups.add(approvers, editors)
    return user


def unit_admin_elsewhere(tree):
    return make_user("qt.badinh", ("admin_unit", tree.badinh), ("edit_content", tree.badinh))


def outsider(tree):
    return make_user("bt.bacninh", ("edit_content", tree.bacninh))


# What each user may do with Đống Đa's objects: "view" (read, change nothing) or nothing.
VIEWS = {
    two_places: {Post},
    through_groups: {Post},
    unit_admin_elsewhere: set(),
    outsider: set(),
}
USERS = list(VIEWS)
REFUSALS = {
    "withdraw": "Bạn không có quyền rút bài viết của đơn vị này.",
    "down": "Bài viết không đang hiển thị công khai.",  # a draft: Hà Nội's approver may not take it down either
}


def _errors(response) -> list[str]:
    return re.findall(r'<li class="error">([^<]*)', response.content.decode())


def _object_urls(model, obj) -> list[tuple[str, str]]:
    names = []
    for pattern in admin.site._registry[model].urls:
        if pattern.name and "object_id" in pattern.pattern.converters:
            names.append((pattern.name, reverse(f"admin:{pattern.name}", kwargs={"object_id": obj.pk})))
    return names


@pytest.mark.parametrize("make", USERS, ids=lambda f: f.__name__)
def test_every_object_url_decides_on_the_objects_own_unit(client, tree, dongda, make):
    """Walk every object URL of the unit-owned admins over Đống Đa's objects: readable objects
    answer 200 to reading and 403 to every change; the others 404, for GET and POST alike."""
    user = make(tree)
    client.force_login(user)
    before = _snapshot()
    viewable = VIEWS[make]
    targets = {Post: dongda["post"], MediaImage: dongda["image"], CommunityPage: dongda["page"]}
    walked = set()
    for model, obj in targets.items():
        for name, url in _object_urls(model, obj):
            walked.add(name)
            get = client.get(url)
            post = client.post(url, {"post": "yes", "title": "Bị sửa", "alt_text": "x", "reason": "thử"})
            if model not in viewable:
                assert (get.status_code, post.status_code) == (404, 404), name
                continue
            action = name.rsplit("_", 1)[-1]
            if action in ("change", "history", "preview"):
                assert get.status_code == 200, name
            if action == "change":
                assert get.context["has_change_permission"] is False
                assert post.status_code == 403
            if action == "delete":
                assert (get.status_code, post.status_code) == (403, 403), name
            if action in ("withdraw", "down"):
                # The confirmation page is shown; the service refuses, in words.
                assert (get.status_code, post.status_code) == (200, 200), name
                assert REFUSALS[action] in _errors(post), name
    assert {"pages_post_change", "pages_post_delete", "pages_post_history", "pages_post_preview",
            "pages_post_withdraw", "pages_post_take_down", "pages_mediaimage_delete",
            "pages_communitypage_change"} <= walked
    assert _snapshot() == before
    assert Post.objects.get(pk=dongda["post"].pk).title == "Bản nháp bí mật của Đống Đa"


@pytest.mark.parametrize("make", [two_places, through_groups], ids=lambda f: f.__name__)
def test_an_approver_here_and_editor_there_cannot_delete_a_draft_here(client, tree, dongda, make):
    """The hole an object check answering "anywhere" would open: the user edits somewhere
    (Bắc Ninh) and may see Đống Đa's draft (as Hà Nội's approver), so "may delete anywhere"
    plus "may see it" would delete it."""
    user = make(tree)
    client.force_login(user)
    url = reverse("admin:pages_post_delete", args=[dongda["post"].pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    bulk = client.post(reverse("admin:pages_post_changelist"),
                       {"action": "delete_selected", "_selected_action": [dongda["post"].pk], "post": "yes"})
    assert bulk.status_code == 403  # delete_selected checks each object: this one is not theirs
    assert Post.objects.filter(pk=dongda["post"].pk).exists()
    # And the same user does delete a draft of their own Bắc Ninh.
    from tests.moderation.workflow_fixtures import make_post

    own = make_post(tree.bacninh, user, title="Nháp của Bắc Ninh")
    assert client.post(reverse("admin:pages_post_delete", args=[own.pk]), {"post": "yes"}).status_code == 302
    assert not Post.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize("make", USERS, ids=lambda f: f.__name__)
def test_lists_show_nothing_of_a_unit_the_user_may_not_see(client, tree, dongda, make):
    client.force_login(make(tree))
    secrets = ["Bản nháp bí mật của Đống Đa", "Ảnh bí mật Đống Đa", "Kế hoạch nội bộ Đống Đa"]
    for model in (MediaImage, CommunityPage):
        response = client.get(reverse(f"admin:pages_{model._meta.model_name}_changelist"))
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert response.context["cl"].result_count == 0 or model is CommunityPage
            assert not any(s in response.content.decode() for s in secrets)
    listing = client.get(reverse("admin:pages_post_changelist"))
    titles = {p.title for p in listing.context["cl"].result_list}
    assert ("Bản nháp bí mật của Đống Đa" in titles) == (Post in VIEWS[make])


# --- the "view on site" shortcut ----------------------------------------------------------------


def _shortcut(obj) -> str:
    return reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(obj).pk, obj.pk])


@pytest.mark.parametrize("make", [outsider, unit_admin_elsewhere], ids=lambda f: f.__name__)
def test_the_shortcut_does_not_name_a_draft_to_someone_outside_its_subtree(client, tree, dongda, make):
    client.force_login(make(tree))
    response = client.get(_shortcut(dongda["post"]))
    assert response.status_code == 404
    assert dongda["post"].slug not in response.content.decode()
    assert client.get(_shortcut(dongda["image"])).status_code == 404


def test_the_shortcut_sends_a_draft_to_its_preview_and_a_live_post_to_its_address(client, tree, dongda):
    client.force_login(dongda["editor"])
    draft = client.get(_shortcut(dongda["post"]))
    assert draft.status_code == 302
    assert draft["Location"] == reverse("admin:pages_post_preview", args=[dongda["post"].pk])
    assert client.get(draft["Location"]).status_code == 200
    live = publish(dongda["post"])
    response = client.get(_shortcut(live))
    assert (response.status_code, response["Location"]) == (302, live.get_absolute_url())
    client.logout()
    assert client.get(_shortcut(live)).status_code == 404


def test_the_shortcut_refuses_unknown_types_and_ids(client, tree, dongda):
    client.force_login(dongda["editor"])
    assert client.get(reverse("admin:view_on_site", args=[999_999, 1])).status_code == 404
    assert client.get(reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Post).pk, 10**9])).status_code == 404


# --- a unit admin who is not an editor ------------------------------------------------------------


def test_a_unit_admin_opens_and_edits_their_units_page_without_being_editor(client, tree, dongda):
    from tests.pages.test_admin import _page_form

    unit_admin = make_user("qt.dongda", ("admin_unit", tree.dongda))
    client.force_login(unit_admin)
    listing = client.get(reverse("admin:pages_communitypage_changelist"))
    assert listing.status_code == 200
    assert {p.unit_id for p in listing.context["cl"].result_list} == {tree.dongda.pk, tree.vanmieu.pk}
    page = dongda["page"]
    url = reverse("admin:pages_communitypage_change", args=[page.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _page_form(page, address="Số 1 Tôn Đức Thắng, Đống Đa"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    page.refresh_from_db()
    assert page.address == "Số 1 Tôn Đức Thắng, Đống Đa"
    # Their own unit's page, not its neighbour's or its parent's.
    assert client.get(reverse("admin:pages_communitypage_change", args=[CommunityPage.objects.get(unit=tree.badinh).pk])).status_code == 404
    assert client.get(reverse("admin:pages_communitypage_change", args=[CommunityPage.objects.get(unit=tree.hanoi).pk])).status_code == 404


# --- the second factor beyond /quan-tri/ -----------------------------------------------------------


@pytest.fixture
def require_2fa(settings):
    settings.VIETFRONT_REQUIRE_2FA = True


def test_the_second_factor_guards_draft_documents_and_the_dashboard(client, tree, dongda, require_2fa):
    approver = make_user("duyet.hanoi", ("approve_content", tree.hanoi))
    client.force_login(approver)
    download = reverse("public:document", kwargs={"pk": dongda["document"].pk})
    assert client.get(download).status_code == 404  # served as a visitor: a draft's file is not found
    for url in (reverse("rollout:dashboard"), reverse("rollout:export", args=["units", "csv"]),
                reverse("admin:pages_post_preview", args=[dongda["post"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("orgunits:otp_verify")), url
    # After the second factor, the same session reaches them.
    device = TOTPDevice.objects.create(user=approver, name="authenticator", confirmed=True)
    verified = client.post(reverse("orgunits:otp_verify"), {"token": totp_token(device), "next": "/quan-tri/"})
    assert verified.status_code == 302
    assert client.get(download).status_code == 200
    assert client.get(reverse("rollout:dashboard")).status_code == 200


def test_an_editor_is_not_asked_for_a_second_factor_for_their_drafts(client, tree, dongda, require_2fa):
    client.force_login(dongda["editor"])
    assert client.get(reverse("public:document", kwargs={"pk": dongda["document"].pk})).status_code == 200


# --- nobody approves their own post ------------------------------------------------------------


def test_the_creator_of_a_post_cannot_approve_it_when_someone_else_submitted_it(client, tree, dongda):
    """Editor of Đống Đa and approver of Hà Nội writes a post; a colleague submits it."""
    creator = make_user("viet.va.duyet", ("edit_content", tree.dongda), ("approve_content", tree.hanoi))
    from tests.moderation.workflow_fixtures import make_post

    post = make_post(tree.dongda, creator, title="Bài do người duyệt viết")
    post_submit(post=post, by=dongda["editor"])
    with pytest.raises(PermissionDenied, match="tự duyệt"):
        post_approve(post=Post.objects.get(pk=post.pk), by=creator)
    client.force_login(creator)
    submission = post.submissions.get()
    response = client.post(reverse("admin:moderation_submission_decide", args=[submission.pk]),
                           {"decision": "approve", "publish": "now"}, follow=True)
    assert "Không ai được tự duyệt bài viết của mình." in response.content.decode()
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED
