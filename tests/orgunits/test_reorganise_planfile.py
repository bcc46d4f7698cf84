"""reorganise --plan-file: the format, each operation, refusals, province batches, the command."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from guardian.shortcuts import assign_perm

from orgunits.models import OrgUnit, OrgUnitRedirect, OrgUnitUserObjectPermission
from orgunits.reorganise.planfile import PlanFileError, plan_file_parse

from .reorganise_support import user
from .test_reorganise import snapshot


def write_plan(tmp_path, operations, **extra):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"name": "Sắp xếp thử", "effective_on": "2026-07-01",
                                "operations": operations, **extra}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def unit(kind: str, code: str) -> OrgUnit:
    return OrgUnit.objects.get(kind=kind, code=code)


MERGE_AND_SPLIT = [
    {"op": "create", "unit": "commune:00190", "name": "Phường Ô Chợ Dừa", "parent": "district:006"},
    {"op": "merge", "units": ["commune:00187"], "into": "commune:00181"},
    {"op": "rename", "unit": "commune:00181", "name": "Phường Văn Miếu - Quốc Tử Giám"},
    {"op": "split", "unit": "district:006", "into": ["commune:00181", "commune:00190"],
     "default": "commune:00181", "children": {"commune:00190": "province:01"}},
    {"op": "move", "unit": "commune:00001", "parent": "province:01"},
    {"op": "dissolve", "unit": "commune:09163"},
]


def test_parse_lists_every_problem():
    with pytest.raises(PlanFileError) as exc:
        plan_file_parse(json.dumps({"effective_on": "1/7/2026", "operations": [
            {"op": "explode", "unit": "commune:1"},
            {"op": "rename", "unit": "ward-00181"},
            {"op": "merge", "units": ["commune:1"], "into": "commune:1"},
            {"op": "split", "unit": "district:6", "into": ["commune:1"], "default": "commune:2"},
        ]}))
    assert exc.value.problems == [
        '"effective_on" must be a date as YYYY-MM-DD',
        'operations[0]: "op" must be one of create, rename, move, merge, split, dissolve, got \'explode\'',
        'operations[1].unit: expected a unit as "kind:code", got \'ward-00181\'',
        'operations[1]: "name" is required for rename',
        "operations[2]: a unit cannot be merged into itself",
        'operations[3]: "default" must be one of "into"',
    ]
    with pytest.raises(PlanFileError, match="not valid JSON"):
        plan_file_parse("{")


@pytest.mark.django_db
def test_unknown_units_refuse_the_whole_plan_before_anything_changes(tree, tmp_path):
    before = snapshot()
    path = write_plan(tmp_path, [
        {"op": "rename", "unit": "commune:00181", "name": "Phường Văn Miếu mới"},
        {"op": "merge", "units": ["commune:99999"], "into": "commune:00181"},
    ])
    with pytest.raises(CommandError) as exc:
        call_command("reorganise", plan_file=path)
    assert "nothing was changed" in str(exc.value)
    assert "operations[1] (merge): no unit commune:99999" in str(exc.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_each_operation_applies_and_a_second_run_changes_nothing(tree, tmp_path, capsys):
    editor = user("bientap.langthuong")
    assign_perm("orgunits.edit_content", editor, tree.langthuong)
    path = write_plan(tmp_path, MERGE_AND_SPLIT)
    call_command("reorganise", plan_file=path)
    out = capsys.readouterr().out
    assert "1 created, 1 dissolved, 1 merged away, 1 moved, 1 renamed, 1 split" in out
    vanmieu, cho_dua = unit("commune", "00181"), unit("commune", "00190")
    assert (vanmieu.name, vanmieu.parent_id, vanmieu.path) == (
        "Phường Văn Miếu - Quốc Tử Giám", tree.hanoi.pk, "ha-noi/phuong-van-mieu-quoc-tu-giam")
    assert cho_dua.parent_id == tree.hanoi.pk
    assert unit("commune", "00001").path == "ha-noi/phuong-phuc-xa"
    dongda, lang = unit("district", "006"), unit("commune", "00187")
    assert (dongda.is_active, dongda.successor_id, str(dongda.dissolved_on)) == (False, vanmieu.pk, "2026-07-01")
    assert (lang.is_active, lang.successor_id) == (False, vanmieu.pk)
    assert not unit("commune", "09163").is_active
    assert OrgUnitRedirect.objects.get(old_path="ha-noi/quan-dong-da/phuong-van-mieu-quoc-tu-giam").unit == vanmieu
    # People are carried by the same step as the 2025 reform.
    assert list(OrgUnitUserObjectPermission.objects.filter(user=editor).values_list("content_object", flat=True)) \
        == [vanmieu.pk]
    call_command("check_unit_tree")
    before = snapshot()
    call_command("reorganise", plan_file=path)
    assert "6 already done" in capsys.readouterr().out
    assert snapshot() == before


@pytest.mark.django_db
def test_dry_run_of_a_plan_file_changes_nothing(tree, tmp_path, capsys):
    before = snapshot()
    call_command("reorganise", plan_file=write_plan(tmp_path, MERGE_AND_SPLIT), dry_run=True)
    out = capsys.readouterr().out
    assert out.startswith("DRY RUN - nothing was changed.") and "1 split" in out
    assert snapshot() == before


@pytest.mark.django_db
def test_a_refused_operation_stops_at_its_province_and_keeps_the_earlier_ones(tree, tmp_path):
    path = write_plan(tmp_path, [
        {"op": "rename", "unit": "commune:09163", "name": "Phường Kinh Bắc"},
        # Hà Nội's batch: Đống Đa still has active communes, so it cannot be dissolved.
        {"op": "rename", "unit": "commune:00001", "name": "Phường Ba Đình"},
        {"op": "dissolve", "unit": "district:006"},
    ])
    with pytest.raises(CommandError) as exc:
        call_command("reorganise", plan_file=path)
    assert "provinces before this operation were applied" in str(exc.value)
    assert "operations[2] (dissolve district:006)" in str(exc.value)
    assert unit("commune", "09163").name == "Phường Kinh Bắc"  # Bắc Ninh's batch committed
    assert unit("commune", "00001").name == "Phường Phúc Xá"  # Hà Nội's rolled back as a whole
    assert unit("district", "006").is_active


@pytest.mark.django_db
def test_command_needs_exactly_one_plan(tree):
    with pytest.raises(CommandError):
        call_command("reorganise")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("reorganise", plan_file="/nonexistent/plan.json")


@pytest.mark.django_db
def test_bench_refuses_without_a_pre_2025_tree(db):
    with pytest.raises(CommandError, match="No pre-2025 tree"):
        call_command("bench_reorganise")
