"""The demo data through the whole 2025 reform: nobody stranded, the queue decided in Hà Nội."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from moderation.models import Submission
from moderation.services import post_approve
from orgunits.management.commands.seed_demo import DEMO_ACCOUNTS
from orgunits.models import OrgUnit
from orgunits.roles import ROLE_PERMISSION
from orgunits.selectors import units_for_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_demo_editors_and_approvers_keep_working_and_the_queue_is_decided(settings, capsys,
                                                                           django_capture_on_commit_callbacks):
    settings.DEBUG = True
    call_command("import_units", structure="pre-2025")
    call_command("seed_demo")
    call_command("seed_demo_content")
    pending_ids = list(Submission.objects.filter(state="pending").values_list("pk", flat=True))
    # One waits on Quận Đống Đa, about to be dissolved.
    assert Submission.objects.filter(pk__in=pending_ids, approving_unit__code="006").count() == 1
    before = {a.username: OrgUnit.objects.get(kind=a.unit_kind, code=a.unit_code)
              for a in DEMO_ACCOUNTS if a.role is not None}
    capsys.readouterr()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_units", structure="2025")  # the same path as reorganise --plan 2025
    out = capsys.readouterr().out
    assert "5 created, 3323 updated, 7444 dissolved" in out and "pending submissions re-routed" in out

    users = get_user_model().objects
    for account in DEMO_ACCOUNTS:
        if account.role is None:
            continue
        old = before[account.username]
        old = OrgUnit.objects.get(pk=old.pk)
        # Where the account's unit went: itself if it continues, else its successor; a district
        # editor works on the communes that took over the district's wards.
        active = units_for_user(user=users.get(username=account.username), perm=ROLE_PERMISSION[account.role])
        active = active.filter(is_active=True)
        assert active.exists(), account.username
        if old.is_active:
            assert active.filter(pk=old.pk).exists(), account.username
        elif old.successor is not None and old.successor.kind == old.kind:
            assert active.filter(pk=old.successor_id).exists(), account.username
        assert not active.filter(kind="province").exists() or account.unit_kind == "province", account.username

    for pending in Submission.objects.select_related("approving_unit", "post").filter(pk__in=pending_ids):
        # The one from Đống Đa re-routed; Đống Đa's own, approved by Hà Nội already, stays there.
        assert (pending.approving_unit.kind, pending.approving_unit.code) == ("province", "01")
        with django_capture_on_commit_callbacks(execute=False):
            decided = post_approve(post=pending.post, by=users.get(username="duyet.hanoi"))
        assert decided.state == "approved"
    capsys.readouterr()
    call_command("reorganise", plan="2025")
    assert "Nothing to do" in capsys.readouterr().out
