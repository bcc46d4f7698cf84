"""Fixtures for workflow tests: people with roles on the test tree, and a ready post.

Import with ``from tests.moderation.workflow_fixtures import *`` (fixture discovery).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from pages.models import Post, Topic
from pages.services import page_create, post_save
from vietfront.celery import app as celery_app


@dataclass
class People:
    editor: object  # edits Quận Đống Đa
    other_editor: object  # edits Quận Ba Đình
    district_approver: object  # approves at Quận Đống Đa (approves its communes, not itself)
    approver: object  # approves at Hà Nội (approves Đống Đa's content)
    other_approver: object  # approves at Bắc Ninh
    superuser: object


def _user(username: str, **extra):
    return get_user_model().objects.create_user(
        username, email=f"{username}@mattran.example.vn", password="pw", is_staff=True, **extra
    )


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def people(tree) -> People:
    p = People(
        editor=_user("bientap.dongda"),
        other_editor=_user("bientap.badinh"),
        district_approver=_user("duyet.dongda"),
        approver=_user("duyet.hanoi"),
        other_approver=_user("duyet.bacninh"),
        superuser=get_user_model().objects.create_superuser("quantri", "qt@mattran.example.vn", "pw"),
    )
    assign_perm("orgunits.edit_content", p.editor, tree.dongda)
    assign_perm("orgunits.edit_content", p.other_editor, tree.badinh)
    assign_perm("orgunits.approve_content", p.district_approver, tree.dongda)
    assign_perm("orgunits.approve_content", p.approver, tree.hanoi)
    assign_perm("orgunits.approve_content", p.other_approver, tree.bacninh)
    return p


def make_post(unit, author, **fields) -> Post:
    page = getattr(unit, "page", None) or page_create(unit=unit, by=None)
    values = {
        "title": "Ra quân hưởng ứng Ngày hội Đại đoàn kết toàn dân tộc",
        "summary": "Mặt trận quận phát động các khu dân cư tổ chức Ngày hội Đại đoàn kết năm nay.",
        "body": "<p>Sáng 12/11, Ủy ban MTTQ quận tổ chức lễ ra quân tại nhà văn hóa khu dân cư.</p>",
        "topic": Topic.objects.order_by("order").first(),
        "source_kind": "own",
        "source_name": "Ủy ban MTTQ quận Đống Đa",
        "author_line": "Minh Anh",
    }
    values.update(fields)
    return post_save(post=Post(page=page, **values), by=author)


@pytest.fixture
def post(tree, people) -> Post:
    return make_post(tree.dongda, people.editor)
