"""Submitting and approving: the regulation's configuration kept per process is never stale,
and the statements per post do not grow with the rules, the grants or the tree."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from moderation import services
from moderation.models import AllowedDomain, ApprovalRoute, BannedTerm, RuleSetting
from moderation.rules import config_cache
from orgunits.models import UnitKind
from orgunits.services import unit_create
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post

CONFIG_TABLES = ("moderation_bannedterm", "moderation_alloweddomain", "moderation_rulesetting",
                 "moderation_approvalroute")


@pytest.fixture
def kept_config(settings):
    """The kept copy on, from a version this process may keep a copy under (an earlier test's
    rolled-back change may have left one it may not)."""
    settings.VIETFRONT_REGULATION_CACHE = True
    config_cache._set_version()


def _submit(unit, people, **fields):
    return services.post_submit(post=make_post(unit, people.editor, **fields), by=people.editor)


def _codes(submission) -> set[str]:
    return {f["code"] for f in submission.findings}


@pytest.mark.django_db
def test_a_new_banned_term_blocks_the_very_next_submission(tree, people, kept_config):
    _submit(tree.dongda, people, title="Hội nghị bàn về chuyện xyzzy của khu dân cư")  # the copy is kept
    BannedTerm.objects.create(term="xyzzy", severity="block")
    with pytest.raises(services.RegulationBlocked) as exc:
        _submit(tree.dongda, people, title="Lại nói chuyện xyzzy ở khu dân cư")
    assert {f["code"] for f in exc.value.findings if f["severity"] == "block"} == {"banned_terms"}


@pytest.mark.django_db
def test_a_disabled_or_removed_rule_setting_applies_at_once(tree, people, kept_config):
    with pytest.raises(services.RegulationBlocked):  # primes the kept copy
        _submit(tree.dongda, people, source_name="")
    blocked = RuleSetting.objects.get_or_create(code="required_fields")[0]
    blocked.is_enabled = False
    blocked.save()
    assert "required_fields" not in _codes(_submit(tree.dongda, people, source_name=""))
    blocked.delete()  # no row: the rule's defaults again
    with pytest.raises(services.RegulationBlocked):
        _submit(tree.dongda, people, source_name="")


@pytest.mark.django_db
def test_a_changed_route_sends_the_very_next_submission_elsewhere(tree, people, kept_config):
    assert _submit(tree.vanmieu, people).approving_unit == tree.dongda
    route = ApprovalRoute.objects.create(unit_kind=UnitKind.COMMUNE, approver_kind=UnitKind.PROVINCE)
    assert _submit(tree.vanmieu, people).approving_unit == tree.hanoi
    route.delete()
    assert _submit(tree.vanmieu, people).approving_unit == tree.dongda


@pytest.mark.django_db
def test_a_change_rolled_back_leaves_no_trace_in_the_copy(tree, people, kept_config):
    _submit(tree.dongda, people)  # the unit's page exists before the transaction that rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        BannedTerm.objects.create(term="xyzzy", severity="block")
        with pytest.raises(services.RegulationBlocked):  # the change is seen inside its transaction
            _submit(tree.dongda, people, title="Chuyện xyzzy ở khu dân cư")
        raise RuntimeError
    _submit(tree.dongda, people, title="Chuyện xyzzy ở khu dân cư")  # not blocked: never committed


@pytest.mark.django_db
def test_another_process_change_applies_through_the_shared_version(tree, people, kept_config,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # as if committed: a version to keep under
        BannedTerm.objects.create(term="xyzzy", severity="warn", is_active=False)
    _submit(tree.dongda, people, title="Chuyện xyzzy ở khu dân cư")
    # Another process activates the term: its rows committed, then its new version in the cache.
    BannedTerm.objects.filter(term="xyzzy").update(is_active=True)
    assert "banned_terms" not in _codes(_submit(tree.dongda, people, title="Chuyện xyzzy ở khu dân cư")), \
        "the kept copy is used while the version is unchanged"
    config_cache._set_version()
    assert "banned_terms" in _codes(_submit(tree.dongda, people, title="Chuyện xyzzy ở khu dân cư"))


def _statements(run) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return [q["sql"] for q in queries.captured_queries]


def _submit_and_approve(tree, people, django_capture_on_commit_callbacks) -> tuple[list[str], list[str]]:
    post = make_post(tree.dongda, people.editor)
    later = timezone.now() + datetime.timedelta(days=1)  # publishing is not part of approving

    def submit():
        with django_capture_on_commit_callbacks(execute=True):  # the mail to the approvers counts
            services.post_submit(post=post, by=people.editor)

    def approve():
        with django_capture_on_commit_callbacks(execute=True):
            services.post_approve(post=post, by=people.approver, publish_at=later)

    return _statements(submit), _statements(approve)


def _grow(tree, people) -> None:
    """More rules, grants (direct and through groups) and units than the small case holds."""
    BannedTerm.objects.bulk_create(BannedTerm(term=f"từ cấm {n}", severity="warn") for n in range(30))
    AllowedDomain.objects.bulk_create(AllowedDomain(domain=f"so{n}.gov.vn") for n in range(30))
    RuleSetting.objects.get_or_create(code="duplicate", defaults={"severity": "warn"})
    group = Group.objects.create(name="Biên tập Hà Nội")
    people.editor.groups.add(group)
    people.approver.groups.add(group)
    for n in range(12):
        unit = unit_create(name=f"Phường Mới {n}", kind=UnitKind.COMMUNE, parent=tree.dongda, code=f"9{n:04d}")
        assign_perm("orgunits.edit_content", people.editor, unit)
        assign_perm("orgunits.edit_content", group, unit)
        assign_perm("orgunits.approve_content", people.approver, unit)
    assign_perm("orgunits.edit_content", group, tree.badinh)
    assign_perm("orgunits.approve_content", group, tree.bacninh)
    config_cache._set_version()  # bulk writes send no signal


@pytest.mark.django_db
def test_submit_and_approve_cost_the_same_whatever_the_rules_grants_and_units(
    tree, people, kept_config, django_capture_on_commit_callbacks
):
    _submit_and_approve(tree, people, django_capture_on_commit_callbacks)  # warms the kept copy
    small = _submit_and_approve(tree, people, django_capture_on_commit_callbacks)
    _grow(tree, people)
    _submit_and_approve(tree, people, django_capture_on_commit_callbacks)  # reads the new configuration
    large = _submit_and_approve(tree, people, django_capture_on_commit_callbacks)
    assert [len(s) for s in large] == [len(s) for s in small]
    submit, approve = small
    # Savepoints included (the test runs in a transaction): 14 and 9 statements in production.
    assert len(submit) == 16 and len(approve) == 11, (submit, approve)
    assert not [sql for sql in submit + approve if any(t in sql for t in CONFIG_TABLES)]


@pytest.mark.django_db
def test_without_the_kept_copy_each_review_reads_the_configuration(tree, people, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.VIETFRONT_REGULATION_CACHE = False
    _submit_and_approve(tree, people, django_capture_on_commit_callbacks)
    submit, approve = _submit_and_approve(tree, people, django_capture_on_commit_callbacks)
    assert sum(any(t in sql for t in CONFIG_TABLES) for sql in submit) == 4  # terms, domains, settings, route
    assert sum(any(t in sql for t in CONFIG_TABLES) for sql in approve) == 3


@pytest.mark.django_db(transaction=True)
def test_the_locked_reads_refuse_to_run_outside_a_transaction(postgres_only, tree, people):
    """The precompiled ``select_for_update`` reads keep Django's check, which a compiled-once
    query would otherwise make only the first time."""
    from django.db.transaction import TransactionManagementError

    post = make_post(tree.dongda, people.editor)
    with transaction.atomic():
        assert services._locked(post).pk == post.pk
        assert services._pending(post) is None
    with pytest.raises(TransactionManagementError):
        services._locked(post)
    with pytest.raises(TransactionManagementError):
        services._pending(post)
