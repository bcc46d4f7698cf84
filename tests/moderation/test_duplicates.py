"""The duplicate-title rule as the workflow runs it: live posts of the approving unit's subtree,
the same title but for case; a title differing only by tone marks is another title."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from moderation import services
from pages.models import Post
from tests.moderation.workflow_fixtures import *  # noqa: F403
from tests.moderation.workflow_fixtures import make_post

pytestmark = pytest.mark.django_db

TITLE = "Hội nghị hiệp thương lần thứ nhất"


@pytest.fixture
def live(tree, people, django_capture_on_commit_callbacks):
    post = make_post(tree.dongda, people.editor, title=TITLE)
    services.post_submit(post=post, by=people.editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(post=post, by=people.approver)  # now: published after commit
    post.refresh_from_db()
    assert post.live_revision_id is not None
    return post


def duplicates(unit, author, title: str) -> list[dict]:
    submission = services.post_submit(post=make_post(unit, author, title=title), by=author)
    return [f for f in submission.findings if f["code"] == "duplicate"]


def test_the_same_title_but_for_case_is_a_duplicate(tree, people, live):
    (finding,) = duplicates(tree.vanmieu, people.editor, "hội nghị hiệp thương lần thứ nhất")
    assert TITLE in finding["message"] and live.get_absolute_url() in finding["message"]


def test_a_title_differing_by_tone_marks_is_not(tree, people, live):
    assert duplicates(tree.vanmieu, people.editor, "Hồi nghỉ hiệp thương lần thứ nhất") == []


def test_another_province_is_not_compared(tree, people, live):
    other = people.approver.__class__.objects.create_user("bientap.tpbn", email="bt@tpbn.example.vn", is_staff=True)
    assign_perm("orgunits.edit_content", other, tree.tpbacninh)
    assert duplicates(tree.tpbacninh, other, TITLE) == []


def test_a_post_not_live_is_not_compared(tree, people):
    make_post(tree.dongda, people.editor, title=TITLE)  # a draft, never published
    assert duplicates(tree.vanmieu, people.editor, TITLE) == []


def test_the_finder_costs_one_query_whatever_the_matches(tree, people, live, django_assert_num_queries):
    from moderation.review import _duplicate_finder
    from moderation.rules import ContentForReview

    for unit in (tree.badinh, tree.phucxa):
        other = make_post(unit, people.other_editor, title=TITLE)
        Post.objects.filter(pk=other.pk).update(live_revision=live.live_revision)
    draft = make_post(tree.vanmieu, people.editor, title=TITLE)
    find = _duplicate_finder(draft, tree.hanoi)
    with django_assert_num_queries(1):
        found = find(ContentForReview(title=TITLE))
    assert len(found) == 3
