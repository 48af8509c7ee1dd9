"""Loading the registry file into the database: idempotent, owning only its own rows, refusing unknown
local branch codes; and the selectors that read it back."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.federation import selectors, services
from toshokan.federation.domain.registry import Connector, SystemSpec
from toshokan.federation.domain.registry_file import RegistryError, parse_registry
from toshokan.federation.models import CheckConfig, LibraryBranch, LibrarySystem

pytestmark = pytest.mark.django_db

FILE = textwrap.dedent(
    """
    [check]
    deadline_s = 7

    [[system]]
    systemid = "Tokyo_Demo"
    name = "デモ市立図書館"
    pref = "東京都"
    city = "千代田区"
    connector = "local"
      [[system.branch]]
      libkey = "中央"
      formal = "デモ市立中央図書館"
      geocode = "139.767,35.681"
      branch = "central"
      [[system.branch]]
      libkey = "駅前"
      formal = "デモ市立駅前分館"
      geocode = "139.770,35.690"
      branch = "ekimae"

    [[system]]
    systemid = "Osaka_Suita"
    name = "大阪府吹田市"
    pref = "大阪府"
    city = "吹田市"
    connector = "calil"
    attribution = "© OpenStreetMap contributors, ODbL 1.0"
      [[system.branch]]
      libkey = "中央"
      formal = "吹田市立中央図書館"
      geocode = "135.5168,34.7617"
      isil = "JP-1001234"

    [[system]]
    systemid = "Osaka_Pref"
    name = "大阪府立図書館"
    pref = "大阪府"
    city = "東大阪市"
    connector = "sru"
    endpoint = "http://127.0.0.1:9/sru"
    options = {version = "1.2"}
      [[system.branch]]
      libkey = "中央"
      formal = "大阪府立中央図書館"
      geocode = "135.5935,34.6722"
      category = "LARGE"
      [[system.branch]]
      libkey = "中之島"
      formal = "大阪府立中之島図書館"
      city = "大阪市北区"
      geocode = "135.5022,34.6930"
      category = "LARGE"
    """
)


@pytest.fixture
def branches():
    catalog_factories.branch("central", "デモ市立中央図書館")
    catalog_factories.branch("ekimae", "デモ市立駅前分館", position=1)


def system(systemid: str) -> SystemSpec:
    """The system in the registry read back from the database."""
    found = selectors.registry().system(systemid)
    assert found is not None, systemid
    return found


def snapshot() -> list[tuple[object, ...]]:
    return [
        (b.system.systemid, b.system.updated_at, b.libkey, b.updated_at, b.pk, b.system.pk)
        for b in LibraryBranch.objects.select_related("system").order_by("pk")
    ]


def test_a_file_loads_and_a_second_load_changes_nothing(branches):
    registry = parse_registry(FILE, source="libs.toml")
    first = services.sync_registry(registry, source="libs.toml")
    assert (first.systems_created, first.branches_created) == (3, 5) and first.changed
    before = snapshot()

    second = services.sync_registry(registry, source="libs.toml")
    assert not second.changed and second.systems_unchanged == 3
    assert snapshot() == before
    assert CheckConfig.objects.get().deadline_s == 7.0
    assert set(LibrarySystem.objects.values_list("source", flat=True)) == {"file:libs.toml"}


def test_the_registry_read_back_from_the_database_is_the_file(branches):
    registry = parse_registry(FILE, source="libs.toml")
    services.sync_registry(registry, source="libs.toml")
    back = selectors.registry()
    assert back.check == registry.check
    assert back.systems == tuple(dataclasses.replace(s, source="file:libs.toml") for s in registry.systems)
    assert system("Osaka_Pref").options == {"version": "1.2"}
    assert system("Osaka_Pref").connector is Connector.SRU


def test_a_changed_field_updates_only_that_row(branches):
    services.sync_registry(parse_registry(FILE), source="libs.toml")
    suita = LibraryBranch.objects.get(system__systemid="Osaka_Suita")
    changed = FILE.replace('formal = "吹田市立中央図書館"', 'formal = "吹田市立中央図書館（新館）"')
    summary = services.sync_registry(parse_registry(changed), source="libs.toml")
    assert (summary.branches_updated, summary.branches_created, summary.systems_updated) == (1, 0, 0)
    suita.refresh_from_db()
    assert suita.formal == "吹田市立中央図書館（新館）"
    assert system("Osaka_Suita").branches[0].formal == "吹田市立中央図書館（新館）"


def test_systems_and_libraries_dropped_from_the_file_go_but_rows_staff_added_stay(branches):
    services.sync_registry(parse_registry(FILE), source="libs.toml")
    staff_system = LibrarySystem.objects.create(systemid="Kyoto_Staff", name="京都市", connector="calil")
    LibraryBranch.objects.create(system=staff_system, libkey="中央", formal="京都市中央図書館")
    pref = LibrarySystem.objects.get(systemid="Osaka_Pref")
    staff_branch = LibraryBranch.objects.create(
        system=pref, libkey="移動", formal="移動図書館", category="BM"
    )
    other_file = LibrarySystem.objects.create(
        systemid="Other_File", name="別ファイル", connector="calil", source="file:other.toml"
    )

    # The file drops Osaka_Suita and the 中之島 library of Osaka_Pref.
    text = FILE.split('[[system]]\nsystemid = "Osaka_Suita"')[0] + "[[system]]" + FILE.split("[[system]]")[3]
    text = text.split('  [[system.branch]]\n  libkey = "中之島"')[0]
    summary = services.sync_registry(parse_registry(text), source="libs.toml")

    assert (summary.systems_removed, summary.branches_removed) == (1, 1)
    assert set(LibrarySystem.objects.values_list("systemid", flat=True)) == {
        "Tokyo_Demo",
        "Osaka_Pref",
        "Kyoto_Staff",
        "Other_File",
    }
    assert set(LibraryBranch.objects.filter(system=pref).values_list("libkey", flat=True)) == {"中央", "移動"}
    assert LibraryBranch.objects.filter(pk=staff_branch.pk).exists()
    assert LibrarySystem.objects.filter(pk=other_file.pk).exists()
    assert {s.systemid for s in selectors.registry().systems} >= {"Kyoto_Staff", "Other_File"}


def test_a_local_system_naming_a_branch_toshokan_lacks_is_refused_and_nothing_is_written():
    catalog_factories.branch("central")
    with pytest.raises(RegistryError) as raised:
        services.sync_registry(parse_registry(FILE), source="libs.toml")
    assert "system 1 (Tokyo_Demo), branch 2 (駅前), branch: 'ekimae' is not a toshokan branch code" in str(
        raised.value
    )
    assert not LibrarySystem.objects.exists()


def test_the_cached_registry_notices_an_edit_made_in_the_admin(branches):
    services.sync_registry(parse_registry(FILE), source="libs.toml")
    assert system("Osaka_Suita").name == "大阪府吹田市"
    LibrarySystem.objects.filter(systemid="Osaka_Suita").update(name="吹田市立図書館")  # no save(), no signal
    LibrarySystem.objects.get(systemid="Osaka_Pref").save()  # bumps updated_at as the admin would
    assert system("Osaka_Suita").name == "吹田市立図書館"
    LibraryBranch.objects.filter(libkey="中之島").delete()
    assert [b.libkey for b in system("Osaka_Pref").branches] == ["中央"]


def test_libraries_filter_by_prefecture_municipality_and_system(branches):
    services.sync_registry(parse_registry(FILE), source="libs.toml")
    assert [lib.formal for lib in selectors.libraries(pref="大阪府")] == [
        "吹田市立中央図書館",
        "大阪府立中央図書館",
        "大阪府立中之島図書館",
    ]
    # A prefectural system's branch is listed under its own municipality.
    assert [lib.formal for lib in selectors.libraries(pref="大阪府", city="大阪市北区")] == [
        "大阪府立中之島図書館"
    ]
    assert [lib.formal for lib in selectors.libraries(city="東大阪市")] == ["大阪府立中央図書館"]
    assert [lib.libkey for lib in selectors.libraries(systemid="Tokyo_Demo")] == ["中央", "駅前"]
    assert len(selectors.libraries(systemid="Tokyo_Demo,Osaka_Suita")) == 3
    assert selectors.libraries(pref="北海道") == []
    first, second = selectors.libraries(systemid="Osaka_Pref")
    assert first.primary and not second.primary and first.city == "東大阪市"


def test_libraries_near_a_point_come_nearest_first_with_their_distance(branches):
    services.sync_registry(parse_registry(FILE), source="libs.toml")
    umeda = (135.4959, 34.7025)  # 大阪駅
    near = selectors.libraries(geocode=umeda, limit=3)
    assert [lib.formal for lib in near] == [
        "大阪府立中之島図書館",
        "吹田市立中央図書館",
        "大阪府立中央図書館",
    ]
    assert near[0].distance_km == pytest.approx(1.17, abs=0.05)
    assert near[1].distance_km == pytest.approx(7.1, abs=0.3)
    assert [d.distance_km for d in near] == sorted(d.distance_km or 0.0 for d in near)
    assert len(selectors.libraries(geocode=umeda)) == 5
    tokyo = selectors.libraries(geocode=(139.767, 35.681), limit=1)[0]
    assert tokyo.libkey == "中央" and tokyo.systemid == "Tokyo_Demo" and tokyo.distance_km == pytest.approx(0)


def test_haversine_gives_the_known_distance_from_tokyo_to_osaka():
    tokyo_station, osaka_station = (139.7671, 35.6812), (135.4959, 34.7025)
    assert selectors.haversine_km(tokyo_station, osaka_station) == pytest.approx(403, abs=3)
