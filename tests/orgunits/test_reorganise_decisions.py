"""A super admin decides on the grants a reform left for decision: carried to the successor or
ended, through the admin's actions, logged, once; nobody else sees the list."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from orgunits.models import GrantReview, OrgUnit, RoleGrantLog
from orgunits.reorganise import decisions
from orgunits.selectors import user_has_unit_perm

from .reorganise_support import user
from .test_reorganise import fresh, grants_of, reform

pytestmark = pytest.mark.django_db
URL = reverse("admin:orgunits_grantreview_changelist")


@pytest.fixture
def left(tree):
    """A district approver's grant (carrying it would widen it) and a group's on a unit with
    no successor, both left for a decision by the reform."""
    approver = user("duyet.dongda")
    assign_perm("orgunits.approve_content", approver, tree.dongda)
    group = Group.objects.create(name="Ban biên tập Vũ Ninh")
    assign_perm("orgunits.edit_content", group, tree.vuninh)
    reform()
    return approver, group


@pytest.fixture
def superadmin():
    admin = user("sa")
    admin.is_superuser = True
    admin.save()
    return admin


def test_carrying_to_the_successor_moves_the_grant_and_logs_it(client, tree, left, superadmin):
    approver, _group = left
    review = GrantReview.objects.get(user=approver)
    client.force_login(superadmin)
    response = client.post(URL, {"action": "carry_to_successor", "_selected_action": [review.pk]}, follow=True)
    assert "Đã chuyển 1 quyền sang đơn vị kế thừa." in response.content.decode()
    assert grants_of(approver) == {("approve_content", "01")}  # Hà Nội, as the super admin decided
    assert user_has_unit_perm(user=approver, perm="approve_content", unit=fresh(tree.vanmieu))
    log = RoleGrantLog.objects.filter(user=approver, action="move").get()
    assert (log.unit_id, log.from_unit_id, log.actor) == (tree.hanoi.pk, tree.dongda.pk, superadmin)
    assert GrantReview.objects.get(pk=review.pk).decided_at is not None
    with pytest.raises(ValidationError) as err:  # decided once
        decisions.grant_review_decide(review=review, decision=decisions.END, by=superadmin)
    assert err.value.code == "decided"


def test_ending_a_group_grant_removes_it_and_a_grant_without_successor_cannot_be_carried(
    client, tree, left, superadmin
):
    _approver, group = left
    review = GrantReview.objects.get(group=group)
    client.force_login(superadmin)
    refused = client.post(URL, {"action": "carry_to_successor", "_selected_action": [review.pk]}, follow=True)
    assert "Không có đơn vị kế thừa đang hoạt động" in refused.content.decode()
    assert grants_of(group) == {("edit_content", "09163")}
    client.post(URL, {"action": "end_grant", "_selected_action": [review.pk]})
    assert grants_of(group) == set()
    assert RoleGrantLog.objects.filter(group=group, action="revoke", actor=superadmin,
                                       unit=OrgUnit.objects.get(code="09163")).exists()


def test_only_super_admins_see_or_decide(client, tree, left):
    approver, _group = left
    province_admin = user("qt.hanoi")
    assign_perm("orgunits.admin_unit", province_admin, tree.hanoi)
    client.force_login(province_admin)
    assert client.get(URL).status_code == 403
    review = GrantReview.objects.get(user=approver)
    assert client.post(URL, {"action": "end_grant", "_selected_action": [review.pk]}).status_code == 403
    with pytest.raises(PermissionDenied):
        decisions.grant_review_decide(review=review, decision=decisions.END, by=province_admin)
    assert grants_of(approver) == {("approve_content", "006")}
    assert GrantReview.objects.get(pk=review.pk).decided_at is None
