"""Tree queries, reorganisation services, the integrity check and concurrent writers."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from orgunits.integrity import tree_findings
from orgunits.models import OrgUnit, OrgUnitRedirect, UnitKind
from orgunits.services import (
    resolve_redirect,
    unit_create,
    unit_dissolve,
    unit_merge,
    unit_move,
    unit_rename,
)

ON = datetime.date(2025, 7, 1)


def paths_below(unit: OrgUnit) -> list[str]:
    return sorted(OrgUnit.objects.in_subtree(unit).values_list("path", flat=True))


# --- queries ---------------------------------------------------------------------------------


def test_subtree_and_ancestors_in_one_query_each(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert {u.pk for u in OrgUnit.objects.in_subtree(tree.hanoi)} == {
            tree.hanoi.pk,
            tree.dongda.pk,
            tree.vanmieu.pk,
            tree.langthuong.pk,
            tree.badinh.pk,
            tree.phucxa.pk,
        }
    with django_assert_num_queries(1):
        assert [u.pk for u in OrgUnit.objects.ancestors_of(tree.vanmieu)] == [
            tree.central.pk,
            tree.hanoi.pk,
            tree.dongda.pk,
            tree.vanmieu.pk,
        ]
    with django_assert_num_queries(1):
        assert list(
            OrgUnit.objects.ancestors_of(tree.vanmieu, include_self=False).values_list("pk", flat=True)
        ) == [
            tree.central.pk,
            tree.hanoi.pk,
            tree.dongda.pk,
        ]


def test_slugs_and_paths_of_the_fixture(tree):
    assert tree.hanoi.path == "ha-noi"
    assert tree.dongda.slug == "quan-dong-da"
    assert tree.vanmieu.path == "ha-noi/quan-dong-da/phuong-van-mieu-quoc-tu-giam"
    assert tree.central.path == ""


# --- services --------------------------------------------------------------------------------


def test_rename_keeps_old_paths_of_the_subtree(tree):
    dongda = unit_rename(unit=tree.dongda, name="Quận Đống Đa Mới")
    assert dongda.path == "ha-noi/quan-dong-da-moi"
    assert paths_below(dongda) == [
        "ha-noi/quan-dong-da-moi",
        "ha-noi/quan-dong-da-moi/phuong-lang-thuong",
        "ha-noi/quan-dong-da-moi/phuong-van-mieu-quoc-tu-giam",
    ]
    assert resolve_redirect("ha-noi/quan-dong-da/phuong-lang-thuong").pk == tree.langthuong.pk
    assert resolve_redirect("/ha-noi/quan-dong-da/").pk == tree.dongda.pk
    assert tree_findings() == []


def test_move_keeps_old_paths_and_updates_the_subtree(tree):
    moved = unit_move(unit=tree.dongda, new_parent=tree.bacninh)
    assert moved.path == "bac-ninh/quan-dong-da"
    assert (
        OrgUnit.objects.get(pk=tree.vanmieu.pk).path == "bac-ninh/quan-dong-da/phuong-van-mieu-quoc-tu-giam"
    )
    assert OrgUnitRedirect.objects.get(
        old_path="ha-noi/quan-dong-da/phuong-van-mieu-quoc-tu-giam"
    ).unit_id == (tree.vanmieu.pk)
    assert {u.pk for u in OrgUnit.objects.in_subtree(OrgUnit.objects.get(pk=tree.bacninh.pk))} >= {
        tree.dongda.pk,
        tree.vanmieu.pk,
        tree.langthuong.pk,
    }
    assert tree_findings() == []


def test_move_into_own_subtree_is_refused(tree):
    with pytest.raises(ValidationError):
        unit_move(unit=tree.dongda, new_parent=tree.dongda)
    with pytest.raises(ValidationError):
        unit_move(unit=tree.hanoi, new_parent=tree.dongda)
    assert tree_findings() == []


def test_move_to_a_parent_of_the_wrong_kind_is_refused(tree):
    with pytest.raises(ValidationError):
        unit_move(unit=tree.dongda, new_parent=tree.badinh)


def test_merge_moves_children_and_dissolves_with_successor(tree):
    badinh = unit_merge(sources=[tree.dongda], into=tree.badinh, on=ON)
    dongda = OrgUnit.objects.get(pk=tree.dongda.pk)
    assert (dongda.is_active, dongda.dissolved_on, dongda.successor_id) == (False, ON, badinh.pk)
    assert set(OrgUnit.objects.filter(parent=badinh).values_list("pk", flat=True)) == {
        tree.phucxa.pk,
        tree.vanmieu.pk,
        tree.langthuong.pk,
    }
    assert OrgUnit.objects.get(pk=tree.vanmieu.pk).path == "ha-noi/quan-ba-dinh/phuong-van-mieu-quoc-tu-giam"
    assert resolve_redirect("ha-noi/quan-dong-da/phuong-van-mieu-quoc-tu-giam").pk == tree.vanmieu.pk
    assert tree_findings() == []


def test_a_merge_names_the_predecessor_on_the_successors_page(tree, client):
    from pages.services import page_create

    page_create(unit=tree.badinh, by=None, activate=True)
    assert "Trước đây" not in client.get(tree.badinh.get_absolute_url()).content.decode()
    unit_merge(sources=[tree.dongda], into=tree.badinh, on=ON)
    html = client.get(OrgUnit.objects.get(pk=tree.badinh.pk).get_absolute_url()).content.decode()
    assert "Trước đây" in html and "Quận Đống Đa" in html


def test_dissolve_refused_while_children_are_active(tree):
    with pytest.raises(ValidationError):
        unit_dissolve(unit=tree.dongda, on=ON)
    assert OrgUnit.objects.get(pk=tree.dongda.pk).is_active
    unit_dissolve(unit=tree.vanmieu, on=ON, successor=tree.langthuong)
    unit_dissolve(unit=tree.langthuong, on=ON)
    dongda = unit_dissolve(unit=tree.dongda, on=ON, successor=tree.badinh)
    assert (dongda.is_active, dongda.successor_id) == (False, tree.badinh.pk)


def test_create_gives_sibling_clashes_a_suffix(tree):
    twin = unit_create(name="Phường Láng Thượng", kind=UnitKind.COMMUNE, parent=tree.dongda)
    assert twin.path == "ha-noi/quan-dong-da/phuong-lang-thuong-2"


# --- check_unit_tree -------------------------------------------------------------------------


def test_check_passes_on_a_sound_tree(tree, capsys):
    call_command("check_unit_tree")
    assert "OK" in capsys.readouterr().out


def test_check_detects_a_raw_lft_update_and_fix_repairs_it(tree, capsys):
    OrgUnit.objects.filter(pk=tree.dongda.pk).update(lft=F("lft") + 100)
    with pytest.raises(CommandError, match="damaged"):
        call_command("check_unit_tree")
    err = capsys.readouterr().err
    assert "[numbering]" in err and "[nesting]" in err

    call_command("check_unit_tree", fix=True)
    assert "repaired and OK" in capsys.readouterr().out
    assert tree_findings() == []
    call_command("check_unit_tree")


def test_check_detects_and_fixes_stale_paths_and_levels(tree):
    OrgUnit.objects.filter(pk=tree.vanmieu.pk).update(path="somewhere/else", level=7)
    codes = {f.code for f in tree_findings()}
    assert codes == {"path", "level"}
    call_command("check_unit_tree", fix=True)
    vanmieu = OrgUnit.objects.get(pk=tree.vanmieu.pk)
    assert (vanmieu.path, vanmieu.level) == ("ha-noi/quan-dong-da/phuong-van-mieu-quoc-tu-giam", 3)


def test_check_reports_what_a_rebuild_cannot_fix(tree):
    # A commune directly under the central unit breaks the kind rules; --fix must not hide it.
    OrgUnit.objects.filter(pk=tree.phucxa.pk).update(parent=tree.central.pk)
    with pytest.raises(CommandError, match="remain after repair"):
        call_command("check_unit_tree", fix=True)
    assert {f.code for f in tree_findings()} == {"kind"}


# --- concurrent writers (PostgreSQL) ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_and_moves_leave_a_valid_tree(postgres_only, tree):
    districts = [tree.dongda.pk, tree.badinh.pk, tree.tpbacninh.pk]
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                parent = OrgUnit.objects.get(pk=districts[(n + i) % len(districts)])
                unit = unit_create(name=f"Xã Thử {n}-{i}", kind=UnitKind.COMMUNE, parent=parent)
                target = OrgUnit.objects.get(pk=districts[(n + i + 1) % len(districts)])
                unit_move(unit=unit, new_parent=target)
                if i % 2:
                    unit_move(unit=OrgUnit.objects.get(pk=tree.vanmieu.pk), new_parent=target)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert OrgUnit.objects.filter(name__startswith="Xã Thử").count() == 30
    assert tree_findings() == []
    # The parent links alone give the same sound tree.
    OrgUnit.objects.rebuild()
    assert tree_findings() == []


def test_search_name_follows_renames(tree):
    assert OrgUnit.objects.get(pk=tree.dongda.pk).search_name == "quan dong da"
    unit_rename(unit=tree.dongda, name="Quận Đống Đa Mới")
    assert OrgUnit.objects.get(pk=tree.dongda.pk).search_name == "quan dong da moi"


def test_rename_rewrites_a_subtree_in_a_constant_number_of_queries(tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(100) as small:
        unit_rename(unit=tree.dongda, name="Quận Đống Đa Mới")
    for i in range(30):
        unit_create(name=f"Phường Thử {i}", kind=UnitKind.COMMUNE, parent=OrgUnit.objects.get(pk=tree.dongda.pk))
    with django_assert_max_num_queries(len(small.captured_queries)):
        dongda = unit_rename(unit=tree.dongda, name="Quận Đống Đa")
    assert paths_below(dongda)[:2] == ["ha-noi/quan-dong-da", "ha-noi/quan-dong-da/phuong-lang-thuong"]
    assert len(paths_below(dongda)) == 33
    # Every old path of the subtree redirects; the paths live again no longer do.
    assert resolve_redirect("ha-noi/quan-dong-da-moi/phuong-thu-7").path == "ha-noi/quan-dong-da/phuong-thu-7"
    assert not OrgUnitRedirect.objects.filter(old_path__startswith="ha-noi/quan-dong-da/").exists()
    assert OrgUnitRedirect.objects.filter(old_path__startswith="ha-noi/quan-dong-da-moi").count() == 33
    assert tree_findings() == []


def test_merge_of_several_sources(tree):
    into = unit_create(name="Phường Hợp Nhất", kind=UnitKind.COMMUNE, parent=tree.refresh().dongda, code="99001")
    merged = unit_merge(sources=iter([tree.vanmieu, tree.langthuong]), into=into, on=ON)
    for pk in (tree.vanmieu.pk, tree.langthuong.pk):
        source = OrgUnit.objects.get(pk=pk)
        assert (source.is_active, source.dissolved_on, source.successor_id) == (False, ON, merged.pk)
    assert resolve_redirect("ha-noi/quan-dong-da/phuong-lang-thuong") is None  # its own page stays
    with pytest.raises(ValidationError):
        unit_merge(sources=[tree.badinh], into=tree.badinh, on=ON)
    assert tree_findings() == []
