"""Staff pages cost the same number of queries whatever the size of the tree, the number of
posts and the number of grants a user holds (``bench_admin`` measures the time on the full tree).

Each page is counted for each kind of staff on the small test tree, then again after the tree
grows by 400 communes with posts, submissions and audit rows; and for an editor holding one
grant against one holding twenty.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from moderation.models import AuditEntry, Revision, Submission
from moderation.services import post_submit
from orgunits.admin_filters import ScopedUnitFilter
from orgunits.models import OrgUnit, UnitKind
from pages.models import CommunityPage, PageStatus, Post, PostStatus
from tests.moderation.workflow_fixtures import make_post
from tests.pages.conftest import _media_root, make_image, make_user  # noqa: F401 - fixture
from tests.tree_growth import grow_communes

pytestmark = pytest.mark.django_db

GROWTH = 400


def _count(client, url: str) -> int:
    client.get(url)  # per-process caches (content types, templates) filled once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.fixture
def staff(tree):
    for unit in (tree.central, tree.hanoi, tree.dongda, tree.vanmieu, tree.bacninh):
        CommunityPage.objects.get_or_create(unit=unit, defaults={"status": PageStatus.ACTIVE})
    people = {
        "editor": make_user("bt.dongda", ("edit_content", tree.dongda)),
        "approver": make_user("duyet.hanoi", ("approve_content", tree.hanoi)),
        "unit_admin": make_user("qt.hanoi", ("admin_unit", tree.hanoi)),
        "two_places": make_user("hai.noi", ("approve_content", tree.hanoi), ("edit_content", tree.bacninh)),
    }
    for unit in (tree.dongda, tree.vanmieu):
        image = make_image(unit)
        for n in range(3):
            post = make_post(unit, people["editor"], title=f"Bài {n} của {unit.name}", cover=image)
        post_submit(post=post, by=people["editor"])
    return people


def _pages(staff, role: str) -> list[str]:
    post = Post.objects.filter(unit__name="Quận Đống Đa").order_by("pk").first()
    submission = Submission.objects.filter(state=Submission.State.PENDING).order_by("pk").first()
    common = [reverse("admin:index")]
    by_role = {
        "editor": [
            reverse("admin:pages_post_changelist"),
            reverse("admin:pages_post_changelist") + f"?status={PostStatus.DRAFT}&q=bai",
            reverse("admin:pages_post_add"),
            reverse("admin:pages_post_change", args=[post.pk]),
            reverse("admin:pages_mediaimage_changelist"),
            reverse("admin:pages_communitypage_changelist"),
        ],
        "approver": [
            reverse("admin:pages_post_changelist"),
            reverse("admin:moderation_submission_changelist"),
            reverse("admin:moderation_submission_decide", args=[submission.pk]),
            reverse("admin:moderation_auditentry_changelist"),
            reverse("admin:moderation_takedownrequest_changelist"),
            reverse("rollout:dashboard"),
        ],
        "unit_admin": [
            reverse("admin:orgunits_orgunit_changelist"),
            reverse("admin:orgunits_orgunituserobjectpermission_changelist"),
            reverse("admin:orgunits_orgunituserobjectpermission_add"),
            reverse("admin:pages_communitypage_changelist"),
            reverse("rollout:dashboard"),
        ],
        "two_places": [
            reverse("admin:pages_post_changelist"),
            reverse("admin:pages_post_add"),
            reverse("admin:moderation_submission_changelist"),
            reverse("admin:pages_mediaimage_changelist"),
        ],
    }
    return common + by_role[role]


def _grow(tree, editor) -> None:
    """400 more communes under Đống Đa, each with a page, a draft, a pending submission and an
    audit row: bulk inserts and one rebuild, as an import does."""
    dongda = OrgUnit.objects.get(pk=tree.dongda.pk)
    pages = grow_communes(tree.dongda, GROWTH)
    posts = Post.objects.bulk_create([
        Post(page=p, unit_id=p.unit_id, title=f"Bài thử {i}", slug=f"bai-thu-{i}", status=PostStatus.SUBMITTED,
             created_by=editor, updated_by=editor)
        for i, p in enumerate(pages)
    ])
    revisions = Revision.objects.bulk_create([
        Revision(post=p, number=1, title=p.title, content={"title": p.title}, content_hash=str(p.pk)) for p in posts
    ])
    Submission.objects.bulk_create([
        Submission(post=p, revision=r, approving_unit=dongda, submitted_by=editor)
        for p, r in zip(posts, revisions, strict=True)
    ])
    AuditEntry.objects.bulk_create([
        AuditEntry(post=p, unit_id=p.unit_id, actor=editor, action="submit", from_state="draft", to_state="submitted")
        for p in posts
    ])


@pytest.mark.parametrize("role", ["editor", "approver", "unit_admin", "two_places"])
def test_staff_pages_cost_the_same_queries_on_a_small_and_a_large_tree(client, tree, staff, role):
    client.force_login(staff[role])
    urls = _pages(staff, role)
    small = {url: _count(client, url) for url in urls}
    _grow(tree, staff["editor"])
    large = {url: _count(client, url) for url in urls}
    assert large == small
    assert OrgUnit.objects.count() > GROWTH


def test_an_editor_with_twenty_grants_costs_the_same_queries_as_with_one(client, tree, staff):
    _grow(tree, staff["editor"])
    many = make_user("nhieu.quyen")
    for unit in OrgUnit.objects.filter(code__startswith="9", kind=UnitKind.COMMUNE).order_by("code")[:19]:
        assign_perm("orgunits.edit_content", many, unit)
    assign_perm("orgunits.edit_content", many, tree.dongda)  # and the district above them all
    urls = _pages(staff, "editor")
    client.force_login(staff["editor"])
    one = {url: _count(client, url) for url in urls}
    client.force_login(many)
    twenty = {url: _count(client, url) for url in urls}
    assert twenty == one


def test_a_superuser_sees_every_post_and_unit(client, tree, staff, superuser):
    """The scope of "everywhere" is everything, not the empty set an OR with nothing gives."""
    client.force_login(superuser)
    listing = client.get(reverse("admin:pages_post_changelist"))
    assert listing.context["cl"].result_count == Post.objects.count() > 0
    units = client.get(reverse("admin:orgunits_orgunit_changelist"))
    assert units.context["cl"].result_count == OrgUnit.objects.count()
    post = Post.objects.order_by("pk").first()
    assert client.get(reverse("admin:pages_post_change", args=[post.pk])).status_code == 200
    # Filtering by the centre is filtering by the whole tree; by a district, by its subtree.
    for unit, expected in ((tree.central, Post.objects.count()), (tree.vanmieu, 3)):
        filtered = client.get(reverse("admin:pages_post_changelist"), {"don_vi": unit.pk})
        assert filtered.context["cl"].result_count == expected


@pytest.fixture
def superuser(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(username="root", password="x", email="root@example.org")


# --- the approvers' queue -------------------------------------------------------------------
QUEUE_BUDGET = 8  # session, user, every right, unit filter, topics, count, rows, proposals


@pytest.fixture
def approvers(tree, staff):
    """A province approver, one with roles in two provinces, and one whose role on the province
    comes through a group."""
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Ban duyệt tin Hà Nội")
    assign_perm("orgunits.approve_content", group, tree.hanoi)
    through_group = make_user("nhom.duyet")
    through_group.groups.add(group)
    return {"approver": staff["approver"], "two_places": staff["two_places"], "through_group": through_group}


@pytest.mark.parametrize("who", ["approver", "two_places", "through_group"])
def test_the_queue_costs_the_same_few_queries_on_a_small_and_a_large_tree(client, tree, staff, approvers, who):
    url = reverse("admin:moderation_submission_changelist")
    client.force_login(approvers[who])
    small = _count(client, url)
    _grow(tree, staff["editor"])  # 400 more pending submissions in the province: a full page
    large = _count(client, url)
    assert large == small <= QUEUE_BUDGET
    assert len(client.get(url).context["cl"].result_list) == 50


def test_an_approver_with_twenty_grants_costs_the_same_queue_queries_as_with_one(client, tree, staff):
    _grow(tree, staff["editor"])
    many = make_user("nhieu.duyet")
    for unit in OrgUnit.objects.filter(code__startswith="9", kind=UnitKind.COMMUNE).order_by("code")[:19]:
        assign_perm("orgunits.approve_content", many, unit)
    assign_perm("orgunits.approve_content", many, tree.dongda)
    url = reverse("admin:moderation_submission_changelist")
    client.force_login(staff["approver"])
    one = _count(client, url)
    client.force_login(many)
    twenty = _count(client, url)
    assert twenty == one <= QUEUE_BUDGET


def test_model_level_permissions_read_with_the_grants_still_open_the_admins_they_name(client, tree, staff):
    """The queue reads the user's rights first; the sidebar then asks the non-unit admins
    (accounts here), which Django's ModelBackend decides from the permissions read in that same
    query: given to the user or to their group, the account list is offered and opens; without,
    it is neither. A model-level unit permission still opens no unit's queue."""
    from django.contrib.auth.models import Group, Permission

    users = reverse("admin:auth_user_changelist")
    queue = reverse("admin:moderation_submission_changelist")
    view_user = Permission.objects.get(codename="view_user", content_type__app_label="auth")
    direct = make_user("duyet.xem.tai.khoan", ("approve_content", tree.hanoi))
    direct.user_permissions.add(view_user)
    group = Group.objects.create(name="Xem tài khoản")
    group.permissions.add(view_user)
    member = make_user("duyet.nhom.xem", ("approve_content", tree.hanoi))
    member.groups.add(group)
    for user, offered, opens in ((direct, True, 200), (member, True, 200), (staff["approver"], False, 403)):
        client.force_login(user)
        page = client.get(queue)
        assert page.status_code == 200
        assert (f'href="{users}"' in page.content.decode()) is offered, user.username
        assert client.get(users).status_code == opens, user.username
    global_approver = make_user("duyet.toan.cuc")
    global_approver.user_permissions.add(
        Permission.objects.get(codename="approve_content", content_type__app_label="orgunits"))
    client.force_login(global_approver)
    assert client.get(queue).status_code == 403


@pytest.mark.parametrize("url_name", ["admin:pages_post_changelist", "admin:moderation_submission_changelist"])
def test_the_unit_filter_lists_its_choices_in_one_query(client, tree, staff, url_name):
    """The sidebar's "đơn vị" choices (the top two levels of the scope with a page) cost one
    query on every scoped list: the scope's top level is a subquery, not a round trip."""
    client.force_login(staff["two_places"])
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url_name))
    (units,) = [spec for spec in response.context["cl"].filter_specs if isinstance(spec, ScopedUnitFilter)]
    expected = ["Thành phố Hà Nội", "· Quận Đống Đa", "Tỉnh Bắc Ninh"]  # Bắc Ninh: edited, not approved
    assert [label for _value, label in units.lookup_choices] == (
        expected if url_name == "admin:pages_post_changelist" else expected[:2])
    unit_lists = [q["sql"] for q in captured.captured_queries if "pages_communitypage" in q["sql"]]
    assert len(unit_lists) == 1, unit_lists


def test_the_unit_filter_of_the_whole_country_offers_the_centre_and_the_provinces(client, tree, staff):
    central = make_user("duyet.tw", ("approve_content", tree.central))
    client.force_login(central)
    assert _unit_choices(client.get(reverse("admin:moderation_submission_changelist"))) == [
        "Ủy ban Trung ương MTTQ Việt Nam", "· Thành phố Hà Nội", "· Tỉnh Bắc Ninh"]


def _unit_choices(response) -> list[str]:
    """The "đơn vị" filter's labels; none when the filter offers nothing (it is then not shown)."""
    specs = [spec for spec in response.context["cl"].filter_specs if isinstance(spec, ScopedUnitFilter)]
    return [label for spec in specs for _value, label in spec.lookup_choices]


def test_the_unit_filter_of_a_scope_whose_top_unit_has_no_page_starts_at_the_shallowest_page(client, tree, staff):
    """The choices start at the scope's shallowest unit *with a page*: without Hà Nội's own
    page its approver is offered its districts' pages and the level below them."""
    from orgunits.models import UnitKind
    from orgunits.services import unit_create
    from pages.models import CommunityPage

    CommunityPage.objects.filter(unit=tree.hanoi).delete()
    client.force_login(staff["two_places"])
    labels = _unit_choices(client.get(reverse("admin:moderation_submission_changelist")))
    assert labels[0] == "Quận Đống Đa" and "· Phường Văn Miếu Quốc Tử Giám" in labels, labels
    assert not any(label.startswith("· · ") for label in labels), labels
    # Nor any district's (their pages moved to new units elsewhere): the communes' come first.
    for i, page in enumerate(CommunityPage.objects.filter(unit__in=[tree.dongda, tree.badinh])):
        elsewhere = unit_create(name=f"Huyện mới {i}", kind=UnitKind.DISTRICT, parent=tree.bacninh, code=f"9{i}")
        CommunityPage.objects.filter(pk=page.pk).update(unit=elsewhere)
    labels = _unit_choices(client.get(reverse("admin:moderation_submission_changelist")))
    assert "Phường Văn Miếu Quốc Tử Giám" in labels, labels
