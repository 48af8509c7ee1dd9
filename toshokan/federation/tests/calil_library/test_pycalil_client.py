"""A real Calil client (PyPI pycalil, unchanged) listing libraries from a real toshokan server.

pycalil writes https://api.calil.jp into each method, so its HTTP requests are sent to the live
server on loopback by rewriting the URL at requests' transport (HTTPAdapter.send): every byte pycalil
builds — path, parameters, its blank callback — reaches toshokan over HTTP as it would reach Calil.
"""

from __future__ import annotations

import io

import pytest
import requests
from django.core.management import call_command
from pycalil import Pycalil

from toshokan.catalog import demo as catalog_demo
from toshokan.catalog.tests import factories as catalog_factories
from toshokan.federation import selectors
from toshokan.federation.demo import registry_path
from toshokan.federation.domain.registry_file import load_registry_file
from toshokan.federation.selectors import haversine_km

pytestmark = pytest.mark.django_db(transaction=True)

CALIL = "https://api.calil.jp"


@pytest.fixture
def calil_is_toshokan(live_server, monkeypatch):
    send = requests.adapters.HTTPAdapter.send
    sent: list[str] = []

    def to_toshokan(self, request, **kwargs):
        if request.url.startswith(CALIL + "/"):
            request.url = live_server.url + "/calil/" + request.url[len(CALIL) + 1 :]
        sent.append(request.url)
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", to_toshokan)
    return sent


def test_pycalil_lists_the_libraries_of_a_prefecture(calil_is_toshokan, registry_loaded):
    answer = Pycalil("any-appkey").library(pref="大阪府")
    # Sent to toshokan, with pycalil's blank callback (which asks Calil's library API for plain JSON).
    assert "/calil/library?" in calil_is_toshokan[0] and "callback=+" in calil_is_toshokan[0]
    expected = selectors.libraries(pref="大阪府")
    assert [(a["systemid"], a["libkey"], a["libid"]) for a in answer] == [
        (lib.systemid, lib.libkey, str(lib.libid)) for lib in expected
    ]
    assert {a["pref"] for a in answer} == {"大阪府"}


def test_pycalil_lists_a_municipality_and_a_system(calil_is_toshokan, registry_loaded):
    client = Pycalil("any-appkey")
    assert [a["formal"] for a in client.library(pref="大阪府", city="吹田市")] == ["吹田市立中央図書館"]
    demo = client.library(systemid="Tokyo_Demo")
    assert [(a["libkey"], a["primary"]) for a in demo] == [("中央", True), ("駅前", False)]


def test_pycalil_finds_the_nearest_libraries_to_a_point(calil_is_toshokan, registry_loaded):
    answer = Pycalil("any-appkey").library(geocode="135.4959,34.7025", limit=2)
    assert [a["formal"] for a in answer] == ["大阪府立中之島図書館", "吹田市立中央図書館"]
    assert answer[0]["distance"] < answer[1]["distance"]
    assert answer[0]["geocode"] == "135.5022,34.693"


def test_pycalil_asking_for_xml_gets_calils_xml(calil_is_toshokan, registry_loaded):
    # pycalil always parses JSON, so its XML call fails the way it does against Calil itself.
    with pytest.raises(requests.exceptions.JSONDecodeError):
        Pycalil("any-appkey").library(pref="大阪府", format="xml")


@pytest.fixture
def demo_registry_loaded():
    """The shipped demo registry, loaded as `manage.py load_libraries` loads it."""
    for position, spec in enumerate(catalog_demo.BRANCHES):
        catalog_factories.branch(spec.code, spec.name, position)
    call_command("load_libraries", stdout=io.StringIO())
    return load_registry_file(registry_path())


def test_pycalil_lists_the_demo_registrys_real_libraries_by_prefecture(
    calil_is_toshokan, demo_registry_loaded
):
    client = Pycalil("any-appkey")
    for pref in ("大阪府", "東京都", "北海道"):
        answer = client.library(pref=pref)
        expected = [
            (s.systemid, b.libkey, b.formal)
            for s in demo_registry_loaded.systems
            if s.pref == pref
            for b in s.branches
        ]
        assert sorted((a["systemid"], a["libkey"], a["formal"]) for a in answer) == sorted(expected)
        assert len(answer) > 10


def test_pycalil_lists_the_demo_libraries_nearest_a_point(calil_is_toshokan, demo_registry_loaded):
    umeda = (135.4959, 34.7025)
    answer = Pycalil("any-appkey").library(geocode="135.4959,34.7025", limit=10)
    placed = [
        (haversine_km(umeda, b.geocode), s.systemid, b.libkey)
        for s in demo_registry_loaded.systems
        for b in s.branches
        if b.geocode
    ]
    nearest = sorted(placed)[:10]
    assert [(a["systemid"], a["libkey"]) for a in answer] == [(sid, key) for _, sid, key in nearest]
    assert [a["distance"] for a in answer] == pytest.approx([d for d, _, _ in nearest], abs=1e-5)
    assert answer[0]["pref"] == "大阪府"
