"""import_units: counts, a valid tree, idempotence, all-or-nothing, the 2025 reform.

Full imports take seconds each; the suite runs five of them in all (marked slow).
"""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from orgunits.importers import apply as import_apply
from orgunits.importers import source
from orgunits.models import OrgUnit, OrgUnitRedirect, Structure, UnitImport, UnitKind
from orgunits.services.tree import unit_slug_base

PRE_2025 = {"central": 1, "province": 63, "district": 696, "commune": 10035}
Y2025 = {"central": 1, "province": 34, "commune": 3321}


def tree_numbers() -> dict[int, tuple]:
    return {pk: rest for pk, *rest in OrgUnit.objects.values_list("pk", "lft", "rght", "level", "tree_id")}


def kinds(**filters) -> dict[str, int]:
    return dict(Counter(OrgUnit.objects.filter(**filters).values_list("kind", flat=True)))


def assert_valid_tree() -> None:
    call_command("check_unit_tree")
    before = tree_numbers()
    OrgUnit.objects.rebuild()
    assert tree_numbers() == before


def test_data_set_counts_without_database():
    assert Counter(u.kind for u in source.load_pre_2025().units) == {
        "province": 63,
        "district": 696,
        "commune": 10035,
    }
    data = source.load_2025()
    assert Counter(u.kind for u in data.units) == {"province": 34, "commune": 3321}
    # Every pre-2025 unit has a 2025 successor in the converter data.
    assert len(data.successors) == 63 + 696 + 10035


def test_slug_bases_transliterate_d():
    assert unit_slug_base(name="Quận Đống Đa", short_name="Đống Đa", kind=UnitKind.DISTRICT) == "quan-dong-da"
    assert unit_slug_base(name="Thành phố Hà Nội", short_name="Hà Nội", kind=UnitKind.PROVINCE) == "ha-noi"


@pytest.mark.slow
@pytest.mark.django_db
def test_pre_2025_import_then_rerun_is_a_noop(capsys, django_assert_num_queries):
    call_command("import_units", structure="pre-2025")
    assert "10795 created" in capsys.readouterr().out
    assert kinds() == PRE_2025
    central = OrgUnit.objects.get(kind=UnitKind.CENTRAL)
    assert (central.name, central.code, central.path) == ("Ủy ban Trung ương MTTQ Việt Nam", "", "")
    hanoi = OrgUnit.objects.get(kind=UnitKind.PROVINCE, code="01")
    assert (hanoi.name, hanoi.short_name, hanoi.path) == ("Thành phố Hà Nội", "Hà Nội", "ha-noi")
    dongda = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="006")
    assert dongda.path == "ha-noi/quan-dong-da"
    phucxa = OrgUnit.objects.get(kind=UnitKind.COMMUNE, code="00001")
    assert (phucxa.name, phucxa.short_name, phucxa.path) == (
        "Phường Phúc Xá",
        "Phúc Xá",
        "ha-noi/quan-ba-dinh/phuong-phuc-xa",
    )
    assert_valid_tree()

    # Tree queries stay one query on the full tree.
    below_hanoi = OrgUnit.objects.filter(path__startswith="ha-noi/").count()
    assert below_hanoi > 500
    with django_assert_num_queries(1):
        assert len(list(OrgUnit.objects.in_subtree(hanoi))) == 1 + below_hanoi
    with django_assert_num_queries(1):
        assert [u.pk for u in OrgUnit.objects.ancestors_of(phucxa)] == [
            central.pk,
            hanoi.pk,
            phucxa.parent_id,
            phucxa.pk,
        ]

    pks = dict(OrgUnit.objects.values_list("code", "pk").exclude(code=""))
    stamps = dict(OrgUnit.objects.values_list("pk", "updated_at"))
    call_command("import_units", structure="pre-2025")
    out = capsys.readouterr().out
    assert "0 created, 0 updated, 0 dissolved, 10795 unchanged" in out
    assert dict(OrgUnit.objects.values_list("code", "pk").exclude(code="")) == pks
    assert dict(OrgUnit.objects.values_list("pk", "updated_at")) == stamps
    runs = list(UnitImport.objects.order_by("pk").values_list("created", "updated", "dissolved", "unchanged"))
    assert runs == [(10795, 0, 0, 0), (0, 0, 0, 10795)]


@pytest.mark.slow
@pytest.mark.django_db
def test_2025_import_on_an_empty_database():
    call_command("import_units", structure="2025")
    assert kinds() == Y2025
    assert OrgUnit.objects.filter(is_active=False).count() == 0
    assert OrgUnit.objects.get(kind=UnitKind.COMMUNE, code="00004").path == "ha-noi/phuong-ba-dinh"
    assert_valid_tree()


@pytest.mark.slow
@pytest.mark.django_db
def test_2025_reform_on_a_pre_2025_tree(capsys):
    call_command("import_units", structure="pre-2025")
    truc_bach = OrgUnit.objects.get(kind=UnitKind.COMMUNE, code="00004")
    assert truc_bach.path == "ha-noi/quan-ba-dinh/phuong-truc-bach"
    old_bac_ninh = OrgUnit.objects.get(kind=UnitKind.PROVINCE, code="27")
    capsys.readouterr()

    call_command("import_units", structure="2025")
    assert "dissolved" in capsys.readouterr().out
    assert kinds(is_active=True) == Y2025
    assert kinds(is_active=False) == {"province": 29, "district": 696, "commune": 10035 - 3316}
    assert not OrgUnit.objects.filter(is_active=False, successor__isnull=True).exists()
    assert set(OrgUnit.objects.filter(is_active=False).values_list("dissolved_on", flat=True)) == {
        datetime.date(2025, 7, 1)
    }
    assert_valid_tree()

    # A 2025 ward reusing a predecessor's code is that unit, renamed and moved; its old path redirects.
    ba_dinh = OrgUnit.objects.get(pk=truc_bach.pk)
    assert (ba_dinh.name, ba_dinh.path, ba_dinh.is_active) == (
        "Phường Ba Đình",
        "ha-noi/phuong-ba-dinh",
        True,
    )
    assert OrgUnitRedirect.objects.get(old_path="ha-noi/quan-ba-dinh/phuong-truc-bach").unit_id == ba_dinh.pk
    # Bắc Giang (24) became the 2025 Bắc Ninh and takes its slug; the old Bắc Ninh (27) yields it.
    new_bac_ninh = OrgUnit.objects.get(kind=UnitKind.PROVINCE, code="24")
    assert (new_bac_ninh.name, new_bac_ninh.path) == ("Tỉnh Bắc Ninh", "bac-ninh")
    old_bac_ninh.refresh_from_db()
    assert (old_bac_ninh.is_active, old_bac_ninh.successor_id, old_bac_ninh.path) == (
        False,
        new_bac_ninh.pk,
        "bac-ninh-2",
    )
    assert not OrgUnitRedirect.objects.filter(old_path="bac-ninh").exists()
    # A district's successor is its province's 2025 province; a split ward's is its default one.
    dongda = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="006")
    assert dongda.successor.code == "01"
    phuc_xa = OrgUnit.objects.get(kind=UnitKind.COMMUNE, code="00001")
    assert phuc_xa.successor.name == "Phường Hồng Hà"
    # Island districts without wards became special zones.
    assert OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="318").successor.name == "Đặc khu Bạch Long Vĩ"

    pks = sorted(OrgUnit.objects.values_list("pk", flat=True))
    redirects = OrgUnitRedirect.objects.count()
    call_command("import_units", structure="2025")
    assert "0 created, 0 updated, 0 dissolved" in capsys.readouterr().out
    assert sorted(OrgUnit.objects.values_list("pk", flat=True)) == pks
    assert OrgUnitRedirect.objects.count() == redirects

    # Importing pre-2025 now would undo the reform.
    with pytest.raises(CommandError, match="would undo the reform"):
        call_command("import_units", structure="pre-2025")
    assert kinds(is_active=True) == Y2025


@pytest.mark.slow
@pytest.mark.django_db
def test_failure_half_way_leaves_nothing(monkeypatch):
    calls = []
    real_create = import_apply._create

    def create_then_fail(created):
        real_create(created)
        calls.append(len(created))
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_apply, "_create", create_then_fail)
    with pytest.raises(CommandError, match="rolled back.*disk full"):
        call_command("import_units", structure="pre-2025")
    assert calls == [10795]
    assert OrgUnit.objects.count() == 0
    assert UnitImport.objects.count() == 0


@pytest.mark.django_db
def test_pre_2025_refused_once_a_2025_import_is_recorded():
    UnitImport.objects.create(structure=Structure.Y2025)
    with pytest.raises(CommandError, match="would undo the reform"):
        call_command("import_units", structure="pre-2025")
    assert OrgUnit.objects.count() == 0


@pytest.mark.django_db
def test_small_data_set_reform_through_the_service(tree):
    """The planner on a hand-made data set: rename, move, dissolve, redirects, slug clashes."""
    data = source.DataSet(
        structure=Structure.Y2025,
        units=[
            source.UnitRecord("province", "01", "Thành phố Hà Nội", "Hà Nội", None),
            source.UnitRecord("commune", "00187", "Phường Láng", "Láng", ("province", "01")),
            source.UnitRecord("commune", "00188", "Phường Đống Đa", "Đống Đa", ("province", "01")),
            source.UnitRecord("commune", "00189", "Phường Đông Đa", "Đông Đa", ("province", "01")),
        ],
        successors={("province", "27"): ("province", "01"), ("commune", "00181"): ("commune", "00188")},
    )
    result = import_apply.units_import(structure=Structure.Y2025, data=data)
    assert (result.created, result.dissolved) == (2, 7)
    lang = OrgUnit.objects.get(pk=tree.langthuong.pk)
    assert (lang.name, lang.path) == ("Phường Láng", "ha-noi/phuong-lang")
    assert OrgUnitRedirect.objects.get(old_path="ha-noi/quan-dong-da/phuong-lang-thuong").unit == lang
    # Same slug base, ordered by code: the later code gets the suffix.
    assert OrgUnit.objects.get(code="00188").path == "ha-noi/phuong-dong-da"
    assert OrgUnit.objects.get(code="00189").path == "ha-noi/phuong-dong-da-2"
    assert OrgUnit.objects.get(pk=tree.vanmieu.pk).successor.code == "00188"
    assert OrgUnit.objects.get(pk=tree.bacninh.pk).successor_id == tree.hanoi.pk
    call_command("check_unit_tree")
    again = import_apply.units_import(structure=Structure.Y2025, data=data)
    assert (again.created, again.updated, again.dissolved) == (0, 0, 0)
