"""The catalogue admin and its "Import records" page, driven through Django's test client."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from toshokan.catalog import admin as catalog_admin
from toshokan.catalog.models import Record
from toshokan.catalog.tests import factories
from toshokan.catalog.tests.paths import MARC_DIR, TEST_DATA
from toshokan.staff.testing import sign_in

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/catalog/record/import/"


@pytest.fixture
def staff(client):
    user = User.objects.create_user("librarian", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="catalog"))
    sign_in(client, user)
    return user


def _upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/octet-stream")


def test_staff_import_a_marc_file_and_see_the_summary(client, staff):
    response = client.post(
        IMPORT_URL, {"file": _upload(MARC_DIR / "japanese" / "japanese_880_records.mrc"), "format": "auto"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="imported">5<' in body and 'id="created">5<' in body and 'id="problem-count">0<' in body
    assert "MARC21 (ISO 2709" in body
    assert Record.objects.filter(source="marc").count() == 5
    assert "國書 解題" in body  # the imported records are listed with links


def test_the_problems_of_an_upload_are_listed_with_their_positions(client, staff):
    response = client.post(
        IMPORT_URL, {"file": _upload(MARC_DIR / "pymarc" / "bad_records.mrc"), "format": "marc"}
    )
    body = response.content.decode()
    assert 'id="problem-count">6<' in body
    assert body.count('class="problem"') == 6
    assert "<td>2</td>\n          <td>127</td>" in body
    assert "base address of data" in body


def test_a_dc_ndl_file_is_detected_and_imported(client, staff):
    response = client.post(IMPORT_URL, {"file": _upload(TEST_DATA / "ndl_sru_dcndl.xml"), "format": "auto"})
    assert 'id="created">4<' in response.content.decode()
    assert Record.objects.filter(source="ndl").count() == 4


def test_importing_the_same_upload_again_updates(client, staff):
    path = TEST_DATA / "ndl_opensearch_simple.xml"
    client.post(IMPORT_URL, {"file": _upload(path), "format": "dcndl"})
    body = client.post(IMPORT_URL, {"file": _upload(path), "format": "dcndl"}).content.decode()
    assert 'id="created">0<' in body and 'id="updated">2<' in body
    assert Record.objects.count() == 2


def test_a_file_over_the_limit_is_refused(client, staff, monkeypatch):
    monkeypatch.setattr(catalog_admin, "MAX_UPLOAD_BYTES", 1000)
    response = client.post(IMPORT_URL, {"file": _upload(MARC_DIR / "pymarc" / "marc.dat"), "format": "marc"})
    assert "ファイルが大きすぎます" in response.content.decode()
    assert Record.objects.count() == 0


def test_a_file_of_unknown_format_asks_for_the_format(client, staff):
    upload = SimpleUploadedFile("notes.txt", b"just some text", content_type="text/plain")
    response = client.post(IMPORT_URL, {"file": upload, "format": "auto"})
    assert "形式を判定できません" in response.content.decode()


def test_the_import_page_is_for_staff_only(client):
    assert client.get(IMPORT_URL).status_code == 302  # to the admin login
    user = User.objects.create_user("patron", password="x")
    client.force_login(user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_the_right_to_add_records_cannot_import(client):
    sign_in(client, User.objects.create_user("clerk", password="x", is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403


def test_the_record_list_links_to_the_import_page_and_searches_titles(client, staff):
    factories.record("こころ")
    factories.record("坊っちゃん")
    response = client.get(reverse("admin:catalog_record_changelist"), {"q": "こころ"})
    body = response.content.decode()
    assert IMPORT_URL in body
    assert "こころ" in body and "坊っちゃん" not in body


def test_a_record_change_page_shows_creators_identifiers_subjects_and_holdings(client, staff):
    rec = factories.record("こころ", identifiers=[factories.isbn("978-4-10-101013-7")])
    factories.holding(rec)
    body = client.get(reverse("admin:catalog_record_change", args=[rec.pk])).content.decode()
    for inline in ("record_creators", "identifiers", "subjects", "holdings"):
        assert f'id="{inline}-group"' in body
    assert "9784101010137" in body


def test_editing_a_title_in_the_admin_makes_it_searchable(client, staff, on_commit):
    from toshokan.search.domain.query import SearchRequest
    from toshokan.search.selectors import search_catalog

    rec = factories.record("仮題")
    url = reverse("admin:catalog_record_change", args=[rec.pk])
    form = {
        "title": "銀河鉄道の夜",
        "language": "jpn",
        "material_type": "book",
        "source": rec.source,
        "source_key": rec.source_key,
        "extra": "{}",
    }
    for prefix in ("record_creators", "identifiers", "subjects", "holdings"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    with on_commit():
        response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    rec.refresh_from_db()
    assert rec.title == "銀河鉄道の夜" and rec.title_reading_auto
    assert [r.pk for r in search_catalog(SearchRequest(q="銀河鉄道")).records] == [rec.pk]


def test_other_catalogue_models_have_admin_pages(client, staff):
    for name in ("creator", "branch", "holding", "ndcclass"):
        assert client.get(reverse(f"admin:catalog_{name}_changelist")).status_code == 200
