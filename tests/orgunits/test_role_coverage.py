"""Coverage gaps: active units with an active page that no editor or approver covers."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from guardian.shortcuts import assign_perm

from orgunits.models import OrgUnit, Reorganisation
from orgunits.reorganise.coverage import coverage_gaps
from pages.services import page_create

from .reorganise_support import user


@pytest.fixture
def covered(tree):
    """Pages on Đống Đa, Văn Miếu, Láng Thượng, Phúc Xá, Vũ Ninh (not Ba Đình). An editor on
    Đống Đa; approvers of Hà Nội as a group; grants nobody can use on Phúc Xá and Bắc Ninh."""
    for unit in (tree.dongda, tree.vanmieu, tree.langthuong, tree.phucxa, tree.vuninh):
        page_create(unit=unit, by=None)
    assign_perm("orgunits.edit_content", user("bientap.dongda"), tree.dongda)
    approvers = Group.objects.create(name="Người duyệt Hà Nội")
    user("duyet.hanoi").groups.add(approvers)
    assign_perm("orgunits.approve_content", approvers, tree.hanoi)
    gone = user("bientap.phucxa.cu")
    gone.is_active = False
    gone.save()
    assign_perm("orgunits.edit_content", gone, tree.phucxa)
    assign_perm("orgunits.approve_content", Group.objects.create(name="Nhóm trống"), tree.bacninh)
    return tree


def listed(gaps) -> list[tuple[str, tuple[str, ...]]]:
    return [(g.code, g.missing) for g in gaps]


@pytest.mark.django_db
def test_gaps_before_a_reform_count_only_usable_grants(covered, django_assert_num_queries):
    with django_assert_num_queries(2):
        gaps = coverage_gaps()
    assert listed(gaps) == [("00001", ("editor",)), ("09163", ("editor", "approver"))]
    assert listed(coverage_gaps(within=covered.bacninh)) == [("09163", ("editor", "approver"))]


@pytest.mark.django_db
def test_the_reform_report_lists_the_units_it_leaves_uncovered(covered, tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"name": "Bỏ cấp huyện", "effective_on": "2026-07-01", "operations": [
        {"op": "split", "unit": "district:006", "into": ["commune:00181", "commune:00187"],
         "default": "commune:00181"}]}), encoding="utf-8")
    call_command("reorganise", plan_file=str(plan), dry_run=True)
    out = capsys.readouterr().out
    assert ("Coverage: 1 units with an active page lose their last editor or approver; active units with "
            "an active page afterwards: 1 without an approver, 3 without an editor.") in out
    assert "  no longer covered: Phường Láng Thượng (commune 00187) /ha-noi/phuong-lang-thuong: no editor" in out
    assert listed(coverage_gaps()) == [("00001", ("editor",)), ("09163", ("editor", "approver"))]

    call_command("reorganise", plan_file=str(plan))
    # The district editor's grant went to the default successor, Văn Miếu, not to Láng Thượng.
    assert listed(coverage_gaps()) == [
        ("00001", ("editor",)), ("00187", ("editor",)), ("09163", ("editor", "approver"))]
    report = Reorganisation.objects.get().report
    assert [row["path"] for row in report["coverage_lost"]] == ["ha-noi/phuong-lang-thuong"]
    assert report["coverage_gaps"] == {"editor": 3, "approver": 1}


@pytest.mark.django_db
def test_command_prints_lists_and_filters(covered, capsys):
    call_command("role_coverage")
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "2 units without an editor or an approver."
    assert out[0].startswith(f"/{covered.phucxa.path}\tPhường Phúc Xá (commune 00001)\tno editor")
    call_command("role_coverage", unit=f"/{covered.hanoi.path}/")
    assert capsys.readouterr().out.splitlines()[-1] == "1 units without an editor or an approver."
    with pytest.raises(CommandError, match="No unit at path 'khong-co'"):
        call_command("role_coverage", unit="khong-co")


@pytest.mark.django_db
def test_csv_escapes_formula_looking_names(covered, capsys):
    OrgUnit.objects.filter(pk=covered.vuninh.pk).update(name='=HYPERLINK("http://x.example","Vũ Ninh")')
    call_command("role_coverage", as_csv=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "path,name,kind,code,missing"
    assert lines[2] == (f'/{covered.vuninh.path},"\'=HYPERLINK(""http://x.example"",""Vũ Ninh"")",'
                        "commune,09163,editor approver")
