"""The registry in the admin: staff with the federation permissions list, search, filter and edit systems
with their libraries inline; rows they add are marked as theirs; the file's rules hold for typed rows."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from toshokan.federation import selectors
from toshokan.federation.models import LibraryBranch, LibrarySystem
from toshokan.staff.testing import sign_in

pytestmark = pytest.mark.django_db

URL = "/admin/federation/librarysystem/"


def staff(*codenames: str):
    user = get_user_model().objects.create_user("registrar", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="federation", codename__in=codenames)
    )
    return user


@pytest.fixture
def registrar(client):
    sign_in(
        client,
        staff(
            "view_librarysystem",
            "add_librarysystem",
            "change_librarysystem",
            "add_librarybranch",
            "change_librarybranch",
            "view_librarybranch",
            "delete_librarybranch",
        ),
    )
    return client


def test_staff_without_the_permission_cannot_see_the_registry(client, registry_loaded):
    sign_in(client, staff())
    assert client.get(URL).status_code == 403


def test_the_list_searches_filters_by_prefecture_and_connector_and_shows_the_attribution(
    registrar, registry_loaded
):
    page = registrar.get(URL).content.decode()
    assert "Osaka_Suita" in page and "Tokyo_Demo" in page
    assert "© OpenStreetMap contributors, ODbL 1.0" in page
    osaka = registrar.get(URL, {"pref": "大阪府"}).content.decode()
    assert "Osaka_Pref" in osaka and "Tokyo_Demo" not in osaka
    sru = registrar.get(URL, {"connector": "sru"}).content.decode()
    assert "Osaka_Pref" in sru and "Osaka_Suita" not in sru
    # A library's name finds its system, once.
    found = registrar.get(URL, {"q": "中央"})
    assert [s.systemid for s in found.context["cl"].result_list] == [
        "Tokyo_Demo",
        "Osaka_Suita",
        "Osaka_Pref",
    ]
    found = registrar.get(URL, {"q": "中之島"})
    assert [s.systemid for s in found.context["cl"].result_list] == ["Osaka_Pref"]


def test_a_system_page_shows_its_libraries_inline(registrar, registry_loaded):
    pref = LibrarySystem.objects.get(systemid="Osaka_Pref")
    page = registrar.get(f"{URL}{pref.pk}/change/").content.decode()
    assert "大阪府立中之島図書館" in page and "大阪府立中央図書館" in page and "file:libs.toml" in page


def inline(prefix: str = "branches", total: int = 1, **rows: str) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    data.update({f"{prefix}-0-{k}": v for k, v in rows.items()})
    return data


def test_a_system_added_in_the_admin_is_marked_as_staffs_and_joins_the_registry(registrar, registry_loaded):
    assert selectors.registry().system("Kyoto_Kyoto") is None
    response = registrar.post(
        f"{URL}add/",
        {
            "systemid": "Kyoto_Kyoto",
            "name": "京都府京都市",
            "pref": "京都府",
            "city": "京都市",
            "connector": "calil",
            "endpoint": "",
            "timeout_s": "5",
            "options": "{}",
            "reserve_url": "",
            "attribution": "",
            "position": "0",
            **inline(
                libkey="中央",
                formal="京都市中央図書館",
                category="MEDIUM",
                longitude="135.7442",
                latitude="34.9893",
                position="0",
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    system = LibrarySystem.objects.get(systemid="Kyoto_Kyoto")
    assert system.source == "admin" and system.branches.get().source == "admin"
    kyoto = selectors.registry().system("Kyoto_Kyoto")
    assert kyoto is not None and kyoto.branches[0].geocode == (135.7442, 34.9893)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"connector": "sru", "endpoint": ""}, "the sru connector needs an http:// or https:// endpoint"),
        ({"connector": "sru", "endpoint": "gopher://x.jp/"}, "must be an http:// or https:// URL"),
        ({"systemid": "京都 市"}, "must be 1–64 ASCII letters"),
        ({"reserve_url": "https://x.jp/{title}"}, "may use only the placeholder {isbn}"),
    ],
)
def test_the_admin_refuses_what_the_registry_file_refuses(registrar, registry_loaded, fields, message):
    data = {
        "systemid": "Kyoto_Kyoto",
        "name": "京都市",
        "connector": "calil",
        "timeout_s": "5",
        "options": "{}",
        "position": "0",
        **inline(total=0),
        **fields,
    }
    response = registrar.post(f"{URL}add/", data)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not LibrarySystem.objects.filter(name="京都市").exists()


def test_a_library_with_half_a_geocode_is_refused(registrar, registry_loaded):
    suita = LibrarySystem.objects.get(systemid="Osaka_Suita")
    branch = LibraryBranch(system=suita, libkey="北", formal="北", longitude=135.5)
    with pytest.raises(Exception, match="give both longitude and latitude"):
        branch.full_clean()


def test_a_local_library_must_stand_for_an_existing_toshokan_branch(registry_loaded):
    demo = LibrarySystem.objects.get(systemid="Tokyo_Demo")
    with pytest.raises(Exception, match="'kita' is not a toshokan branch code"):
        LibraryBranch(system=demo, libkey="北", formal="デモ市立北分館", branch="kita").full_clean()
    with pytest.raises(Exception, match="needs the toshokan branch code"):
        LibraryBranch(system=demo, libkey="北", formal="デモ市立北分館").full_clean()
    LibraryBranch(system=demo, libkey="北", formal="デモ市立北分館", branch="central").full_clean()
