"""The audit log and the warrant export in a real browser (Debian's chromium through Playwright):
staff sign in through the real pages (password and a TOTP code), read a patron's loans, and take a
reading record through request, a second person's approval and the one download."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import Browser, Page, expect

from toshokan.circulation import services
from toshokan.circulation.models import ReadingRecordExport
from toshokan.core import audit
from toshokan.core.models import AuditEvent
from toshokan.staff.testing import enrol, totp_code

from .conftest import PASSWORD, Library, make_library, staff

pytestmark = pytest.mark.browser
SECRETS = {"clerk": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "boss": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"}
WARRANT = "令和8年(む)第501号 捜索差押許可状 東京地方裁判所"


@pytest.fixture
def lib(transactional_db) -> Library:
    enrol(staff("clerk", "desk"), SECRETS["clerk"])
    enrol(staff("boss", "manager"), SECRETS["boss"])
    return make_library()


def sign_in(page: Page, url, username: str, path: str) -> None:
    page.goto(url(path))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.locator("#id_code").fill(totp_code(SECRETS[username]))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(url(path))


def test_reading_a_patrons_loans_at_the_desk_is_in_the_audit_log(page: Page, url, lib: Library):
    services.checkout(barcode=lib.copies[0].barcode, patron=lib.patron, branch=lib.central)
    sign_in(page, url, "clerk", f"/desk/patrons/{lib.patron.pk}")
    expect(page.get_by_text(lib.copies[0].barcode)).to_be_visible()
    viewed = AuditEvent.objects.get(patron_id=lib.patron.pk, action="viewed_loans")
    assert (viewed.actor_username, viewed.via, viewed.client_address) == ("clerk", "desk", "127.0.0.1")
    assert AuditEvent.objects.filter(action="staff_login", actor_username="clerk").exists()
    assert audit.verify().intact


def test_a_warrant_export_from_request_to_the_one_download(browser: Browser, page: Page, url, lib: Library):
    lib.patron.reading_history = True
    lib.patron.save(update_fields=["reading_history"])
    services.checkout(barcode=lib.copies[2].barcode, patron=lib.patron, branch=lib.central)
    services.checkin(barcode=lib.copies[2].barcode, branch=lib.central)

    sign_in(page, url, "clerk", "/staff/exports/new")
    page.get_by_label("利用者番号").fill(lib.patron.card_number)
    page.get_by_label("理由", exact=False).fill(WARRANT)
    page.get_by_role("button", name="申請する").click()
    expect(page.get_by_text("承認待ち")).to_be_visible()
    expect(page.get_by_role("button", name="承認する")).to_have_count(0)  # not for the requester
    export = ReadingRecordExport.objects.get()

    manager = browser.new_context(locale="ja-JP").new_page()
    try:
        sign_in(manager, url, "boss", f"/staff/exports/{export.pk}")
        manager.get_by_label("承認・却下の理由").fill("令状原本を確認")
        manager.get_by_role("button", name="承認する").click()
        expect(manager.get_by_text("承認しました")).to_be_visible()
    finally:
        manager.context.close()

    page.reload()
    with page.expect_download() as info:
        page.get_by_role("button", name="ダウンロード").click()
    content = info.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        data = json.loads(archive.read("reading-record.json"))
    assert [h["title"] for h in data["reading_history"]] == [lib.botchan.title]
    page.reload()
    expect(page.get_by_role("button", name="ダウンロード")).to_have_count(0)
    expect(page.get_by_text("ダウンロード済み")).to_be_visible()
    steps = list(
        AuditEvent.objects.filter(patron_id=lib.patron.pk, action__startswith="export")
        .order_by("seq")
        .values_list("action", "actor_username")
    )
    assert steps == [
        ("export_requested", "clerk"),
        ("export_approved", "boss"),
        ("export_downloaded", "clerk"),
    ]
