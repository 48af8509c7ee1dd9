"""The shipped demo registry (data/libraries/demo.toml) and the commands that load registry files."""

from __future__ import annotations

import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from toshokan.catalog import demo as catalog_demo
from toshokan.catalog.tests import factories as catalog_factories
from toshokan.federation import demo, selectors
from toshokan.federation.domain.registry import Category, Connector
from toshokan.federation.domain.registry_file import load_registry_file
from toshokan.federation.models import LibraryBranch, LibrarySystem

DEMO_FILE = Path(settings.BASE_DIR) / "data" / "libraries" / "demo.toml"
ODBL = "© OpenStreetMap contributors, ODbL"


@pytest.fixture
def demo_branches():
    for position, spec in enumerate(catalog_demo.BRANCHES):
        catalog_factories.branch(spec.code, spec.name, position)


def test_the_demo_file_is_the_default_registry_and_every_entry_validates():
    assert Path(settings.TOSHOKAN_LIBRARIES) == DEMO_FILE or "TOSHOKAN_LIBRARIES" in __import__("os").environ
    registry = load_registry_file(DEMO_FILE)
    assert len(registry.systems) > 500
    assert sum(len(s.branches) for s in registry.systems) > 1000
    local = [s for s in registry.systems if s.connector is Connector.LOCAL]
    assert [s.systemid for s in local] == ["Tokyo_Demo"]
    assert [b.branch for b in local[0].branches] == [b.code for b in catalog_demo.BRANCHES]
    assert {s.connector for s in registry.systems} == {Connector.LOCAL, Connector.CALIL}
    for system in registry.systems:
        assert system.pref, system.systemid
        for branch in system.branches:
            if branch.geocode:  # inside Japan
                assert 122 <= branch.geocode[0] <= 154 and 20 <= branch.geocode[1] <= 46, branch
    # Real libraries: 大阪市's system with its central library, prefectural and university libraries.
    osaka = registry.system("Osaka_Osaka")
    assert osaka is not None and osaka.name == "大阪府大阪市" and len(osaka.branches) > 10
    assert any(
        b.category is Category.LARGE
        for s in registry.systems
        if s.systemid.endswith("_Pref")
        for b in s.branches
    )
    assert sum(1 for s in registry.systems if s.systemid.startswith("Univ_")) > 100


def test_demo_systems_with_openstreetmap_data_carry_its_attribution():
    text = DEMO_FILE.read_text(encoding="utf-8")
    registry = load_registry_file(DEMO_FILE)
    with_osm = [s for s in registry.systems if ODBL in s.attribution]
    assert len(with_osm) > 100
    assert ODBL in text.split("[check]")[0]  # said at the top of the file too
    provenance = (DEMO_FILE.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "ODbL" in provenance and "CC BY 4.0" in provenance and "CC0" in provenance


@pytest.mark.django_db
def test_load_libraries_loads_the_demo_file_and_a_second_run_changes_nothing(demo_branches):
    out = StringIO()
    call_command("load_libraries", str(DEMO_FILE), stdout=out)
    registry = load_registry_file(DEMO_FILE)
    assert LibrarySystem.objects.count() == len(registry.systems)
    assert LibraryBranch.objects.count() == sum(len(s.branches) for s in registry.systems)
    assert f"systems: {len(registry.systems)} added" in out.getvalue() and "loaded" in out.getvalue()
    assert set(LibrarySystem.objects.values_list("source", flat=True)) == {"file:data/libraries/demo.toml"}

    again = StringIO()
    call_command("load_libraries", str(DEMO_FILE), stdout=again)
    assert "0 added, 0 updated" in again.getvalue() and "up to date" in again.getvalue()
    assert len(selectors.registry().systems) == len(registry.systems)
    # Nearest to Tokyo Station: the demo's own central library, then real ones around it.
    near = selectors.libraries(geocode=(139.7671, 35.6812), limit=5)
    assert near[0].systemid == "Tokyo_Demo" and len({lib.systemid for lib in near}) > 1


@pytest.mark.django_db
def test_load_libraries_reads_the_file_named_by_the_setting(tmp_path, settings):
    path = tmp_path / "mine.toml"
    path.write_text(
        textwrap.dedent(
            """
            [[system]]
            systemid = "Kyoto_Mine"
            name = "京都市"
            connector = "calil"
              [[system.branch]]
              libkey = "中央"
              formal = "京都市中央図書館"
            """
        ),
        encoding="utf-8",
    )
    settings.TOSHOKAN_LIBRARIES = str(path)
    call_command("load_libraries", stdout=StringIO())
    assert LibrarySystem.objects.get().source == f"file:{path}"


@pytest.mark.django_db
def test_load_libraries_reports_a_bad_file_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[system]]\nsystemid = "A"\nname = "A"\nconnector = "ftp"\n', encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("load_libraries", str(path), stdout=StringIO())
    assert "system 1 (A), connector: 'ftp' is not one of" in str(raised.value)
    assert "system 1 (A): has no branches" in str(raised.value)
    assert not LibrarySystem.objects.exists()


@pytest.mark.django_db
def test_load_libraries_check_validates_without_writing():
    out = StringIO()
    call_command("load_libraries", str(DEMO_FILE), "--check", stdout=out)
    assert "valid" in out.getvalue() and not LibrarySystem.objects.exists()


@pytest.mark.django_db
def test_the_demo_step_loads_the_registry_once_its_branches_exist(demo_branches):
    messages: list[str] = []
    demo.load(messages.append)
    assert LibrarySystem.objects.filter(systemid="Tokyo_Demo", connector="local").exists()
    assert "systems:" in messages[0]
    assert len(demo.demo_fingerprint()) == 16
    demo.load(messages.append)
    assert "0 added, 0 updated" in messages[1] and "0 removed" in messages[1]


@pytest.mark.django_db
def test_load_demo_runs_the_registry_step_once_until_the_file_changes(demo_branches, settings, tmp_path):
    settings.TOSHOKAN_DEMO_STEPS = ["toshokan.federation.demo"]
    first = StringIO()
    call_command("load_demo", stdout=first)
    assert "demo federation: done" in first.getvalue()
    assert LibrarySystem.objects.filter(systemid="Osaka_Osaka").exists()

    second = StringIO()
    call_command("load_demo", stdout=second)
    assert "demo federation: already loaded" in second.getvalue()

    changed = tmp_path / "demo.toml"
    changed.write_text(
        DEMO_FILE.read_text(encoding="utf-8").replace('name = "大阪府大阪市"', 'name = "大阪市"')
    )
    settings.TOSHOKAN_LIBRARIES = str(changed)
    third = StringIO()
    call_command("load_demo", stdout=third)
    assert "demo federation: done" in third.getvalue()
    assert LibrarySystem.objects.get(systemid="Osaka_Osaka").name == "大阪市"
    # Loaded from another path, the demo's systems now belong to that file; none were lost.
    assert LibrarySystem.objects.count() == len(load_registry_file(DEMO_FILE).systems)
