"""My library through Django's test client: login and its session, object-level permissions (a
patron reaches only their own loans, holds and history — anything else is a 404), renewal and
hold actions with their answers, placing a hold from the record page, settings, the opt-in
reading history and the digital card's symbols."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from toshokan.catalog.models import Holding
from toshokan.circulation import selectors as circulation_selectors
from toshokan.circulation import services
from toshokan.circulation.models import Hold, Loan, ReadingHistory
from toshokan.circulation.tests import factories
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.throttle import CARD_RULE
from toshokan.patrons.models import Patron
from toshokan.patrons.sessions import SESSION_KEY
from toshokan.patrons.tests import factories as patron_factories
from toshokan.portal import card as card_symbols

pytestmark = pytest.mark.django_db


def logged_in(patron: Patron, pin: str = patron_factories.PIN) -> Client:
    client = Client()
    response = client.post("/account/login", {"card_number": patron.card_number, "pin": pin})
    assert response.status_code == 302, response.content.decode()
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def hanako() -> Patron:
    return patron_factories.patron("山田", given_name="花子")


@pytest.fixture
def taro() -> Patron:
    return patron_factories.patron("佐藤", given_name="太郎")


def lend(patron: Patron, item: Holding | None = None) -> Loan:
    item = item or factories.copy()
    return services.checkout(barcode=item.barcode, patron=patron, branch=item.branch)


# -- login and the session ------------------------------------------------------------------------


def test_the_account_asks_for_a_login_and_comes_back_after_it(hanako):
    client = Client()
    response = client.get("/account/card")
    assert response.status_code == 302
    assert response["Location"] == "/account/login?next=%2Faccount%2Fcard"
    response = client.post(
        "/account/login",
        {"card_number": hanako.card_number, "pin": patron_factories.PIN, "next": "/account/card"},
    )
    assert response["Location"] == "/account/card"
    assert client.get("/account/card").status_code == 200


def test_a_login_never_sends_the_patron_to_another_site(hanako):
    response = Client().post(
        "/account/login",
        {"card_number": hanako.card_number, "pin": patron_factories.PIN, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/account/"


def test_a_wrong_pin_is_refused_with_a_message_that_does_not_say_which_part_was_wrong(hanako):
    response = Client().post("/account/login", {"card_number": hanako.card_number, "pin": "9999"})
    assert response.status_code == 401
    assert "利用者番号または暗証番号が違います" in text(response)
    unknown = Client().post("/account/login", {"card_number": "2900999999999", "pin": "9999"})
    assert "利用者番号または暗証番号が違います" in text(unknown)


def test_repeated_failures_lock_the_card_with_a_clear_message(hanako):
    client = Client()
    for _ in range(CARD_RULE.max_failures):
        client.post("/account/login", {"card_number": hanako.card_number, "pin": "9999"})
    response = client.post("/account/login", {"card_number": hanako.card_number, "pin": patron_factories.PIN})
    assert response.status_code == 429
    assert 899 <= int(response["Retry-After"]) <= 900
    assert "ログインの失敗が続いたため、あと15分ほどログインできません" in text(response)
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("data", [{"card_number": "", "pin": ""}, {}])
def test_an_empty_form_says_what_is_missing(data):
    response = Client().post("/account/login", data)
    assert response.status_code == 400
    assert text(response).count("このフィールドは必須です。") == 2


def test_login_rotates_the_session_key(hanako):
    client = Client()
    client.get("/account/login")
    client.cookies["sessionid"] = "attacker-chosen-session-key"
    before = client.session.session_key
    client.post("/account/login", {"card_number": hanako.card_number, "pin": patron_factories.PIN})
    assert client.session.session_key != before
    assert client.session.session_key != "attacker-chosen-session-key"
    assert client.session[SESSION_KEY] == hanako.pk


def test_login_rotates_the_csrf_token(hanako):
    client = Client()
    client.get("/account/login")
    before = client.cookies["csrftoken"].value
    client.post("/account/login", {"card_number": hanako.card_number, "pin": patron_factories.PIN})
    assert client.cookies["csrftoken"].value != before


def test_logout_ends_the_patron_session_clears_the_offline_card_and_keeps_a_staff_login(hanako):
    staff = get_user_model().objects.create_user("desk1", password="pw-desk-1")
    client = logged_in(hanako)
    client.force_login(staff)
    response = client.post("/account/logout")
    assert response.status_code == 200
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/account/").status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_staff_login_is_not_a_patron_login():
    staff = get_user_model().objects.create_user("desk2", password="pw-desk-2", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/account/").status_code == 302


def test_changing_the_pin_ends_the_patrons_other_sessions_but_not_this_one(hanako):
    phone = logged_in(hanako)
    desktop = logged_in(hanako)
    response = desktop.post(
        "/account/pin", {"current_pin": patron_factories.PIN, "new_pin": "2468", "new_pin_again": "2468"}
    )
    assert response.status_code == 302
    assert desktop.get("/account/").status_code == 200
    assert phone.get("/account/").status_code == 302
    assert patron_services.authenticate(card_number=hanako.card_number, pin="2468") == hanako


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current_pin": "9999", "new_pin": "2468", "new_pin_again": "2468"}, "いまの暗証番号が違います。"),
        (
            {"current_pin": "4321", "new_pin": "1111", "new_pin_again": "1111"},
            "同じ数字だけのものは使えません",
        ),
        (
            {"current_pin": "4321", "new_pin": "2468", "new_pin_again": "2469"},
            "新しい暗証番号が一致しません。",
        ),
    ],
)
def test_a_pin_change_that_fails_says_why(hanako, form, message):
    response = logged_in(hanako).post("/account/pin", form)
    assert response.status_code == 400
    assert message in text(response)


# -- object-level permissions ---------------------------------------------------------------------


def test_a_patron_sees_only_their_own_loans_and_holds(hanako, taro):
    mine = lend(hanako)
    theirs = lend(taro)
    other = factories.copy()
    lend(patron_factories.patron("鈴木"), other)
    services.place_hold(patron=taro, record=other.record, pickup_branch=other.branch)
    page = text(logged_in(hanako).get("/account/"))
    assert f'id="loan-{mine.pk}"' in page
    assert f'id="loan-{theirs.pk}"' not in page
    assert "予約はありません" in page


def test_acting_on_another_patrons_loan_hold_or_history_is_a_404(hanako, taro):
    theirs = lend(taro)
    item = factories.copy()
    lend(hanako, item)
    hold = services.place_hold(patron=taro, record=item.record, pickup_branch=item.branch)
    services.set_reading_history(patron=taro, enabled=True)
    returned = lend(taro)
    services.checkin(barcode=returned.holding.barcode, branch=returned.branch)
    entry = ReadingHistory.objects.get(patron=taro)
    client = logged_in(hanako)
    due = Loan.objects.get(pk=theirs.pk).due_on
    for method, url in [
        ("post", f"/account/loans/{theirs.pk}/renew"),
        ("post", f"/account/holds/{hold.pk}/suspend"),
        ("post", f"/account/holds/{hold.pk}/resume"),
        ("get", f"/account/holds/{hold.pk}/cancel"),
        ("post", f"/account/holds/{hold.pk}/cancel"),
        ("post", f"/account/history/{entry.pk}/delete"),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
        assert client.post(url, HTTP_HX_REQUEST="true").status_code in (404, 405), url
    assert Loan.objects.get(pk=theirs.pk).due_on == due
    assert Hold.objects.get(pk=hold.pk).state == "waiting"
    assert ReadingHistory.objects.filter(pk=entry.pk).exists()


def test_actions_without_a_login_change_nothing(taro):
    loan = lend(taro)
    response = Client().post(f"/account/loans/{loan.pk}/renew")
    assert response.status_code == 302 and response["Location"].startswith("/account/login")
    htmx = Client().post(f"/account/loans/{loan.pk}/renew", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/account/login?next=%2Faccount%2F"  # the whole page goes to the login
    assert Loan.objects.get(pk=loan.pk).renewals == 0


# -- loans and renewal ---------------------------------------------------------------------------


def test_a_renewal_moves_the_due_date_and_says_so_beside_the_loan(hanako):
    loan = lend(hanako)
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() + timedelta(days=2))
    client = logged_in(hanako)
    response = client.post(f"/account/loans/{loan.pk}/renew")
    assert response["Location"] == f"/account/#loan-{loan.pk}"
    renewed = Loan.objects.get(pk=loan.pk)
    assert renewed.renewals == 1 and renewed.due_on == timezone.localdate() + timedelta(days=14)
    page = text(client.get("/account/"))
    row = page[page.index(f'id="loan-{loan.pk}"') :]
    assert "延長しました。新しい返却期限は" in row[: row.index("</li>")]


def test_a_refused_renewal_says_why_inline_holds_waiting(hanako, taro):
    loan = lend(hanako)
    services.place_hold(patron=taro, record=loan.holding.record, pickup_branch=loan.branch)
    response = logged_in(hanako).post(f"/account/loans/{loan.pk}/renew", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = text(response)
    assert body.strip().startswith('<li class="item') and f'id="loan-{loan.pk}"' in body
    assert "ほかの方の予約が入っているため延長できません。" in body
    assert Loan.objects.get(pk=loan.pk).renewals == 0


def test_a_refused_renewal_says_why_inline_overdue_and_the_loan_is_highlighted(hanako):
    loan = lend(hanako)
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    client = logged_in(hanako)
    page = text(client.get("/account/"))
    assert f'class="item item--overdue" id="loan-{loan.pk}"' in page
    assert "延滞" in page and "3日過ぎています" in page
    assert "返却期限を過ぎた資料が1冊あります。" in page
    body = text(client.post(f"/account/loans/{loan.pk}/renew", HTTP_HX_REQUEST="true"))
    assert "返却期限を過ぎているため延長できません。" in body


def test_a_refused_renewal_says_why_inline_limit(hanako):
    loan = lend(hanako)
    Loan.objects.filter(pk=loan.pk).update(renewals=1, due_on=timezone.localdate() + timedelta(days=1))
    body = text(logged_in(hanako).post(f"/account/loans/{loan.pk}/renew", HTTP_HX_REQUEST="true"))
    assert "延長は1回までです。すでに延長しています。" in body


# -- holds ---------------------------------------------------------------------------------------


def test_a_hold_shows_its_place_in_the_queue_and_an_estimated_date(hanako, taro):
    item = factories.copy()
    lend(taro, item)
    first = patron_factories.patron("鈴木")
    services.place_hold(patron=first, record=item.record, pickup_branch=item.branch)
    hold = services.place_hold(patron=hanako, record=item.record, pickup_branch=item.branch)
    page = text(logged_in(hanako).get("/account/"))
    view = next(v for v in circulation_selectors.patron_holds(hanako, today=timezone.localdate()))
    assert view.estimate is not None and view.estimate.expected_on is not None
    assert f'id="hold-{hold.pk}"' in page
    assert "順番: <strong>2</strong>番目" in page
    assert f'<time datetime="{view.estimate.expected_on.isoformat()}"' in page


def test_suspending_resuming_and_cancelling_a_hold(hanako, taro):
    item = factories.copy()
    lend(taro, item)
    hold = services.place_hold(patron=hanako, record=item.record, pickup_branch=item.branch)
    client = logged_in(hanako)
    body = text(client.post(f"/account/holds/{hold.pk}/suspend", HTTP_HX_REQUEST="true"))
    assert "保留にしました。" in body and "予約を再開する" in body
    assert Hold.objects.get(pk=hold.pk).state == "suspended"
    client.post(f"/account/holds/{hold.pk}/resume")
    assert Hold.objects.get(pk=hold.pk).state == "waiting"
    confirm = text(client.get(f"/account/holds/{hold.pk}/cancel"))
    assert "取り消すと、予約の順番はなくなります。" in confirm
    assert Hold.objects.filter(pk=hold.pk).exists()
    response = client.post(f"/account/holds/{hold.pk}/cancel")
    assert response.status_code == 302
    assert not Hold.objects.filter(pk=hold.pk).exists()
    assert "の予約を取り消しました。" in text(client.get("/account/"))


def test_the_record_page_asks_an_anonymous_visitor_to_log_in_to_place_a_hold():
    item = factories.copy()
    page = text(Client().get(f"/records/{item.record_id}"))
    assert f'href="/account/login?next=%2Frecords%2F{item.record_id}%23hold"' in page
    assert Client().post(f"/records/{item.record_id}/hold")["Location"].startswith("/account/login")


def test_placing_a_hold_from_the_record_page_defaults_to_the_home_branch_and_shows_the_queue(hanako, taro):
    item = factories.copy(branch_code="kita")
    lend(taro, item)
    client = logged_in(hanako)
    page = text(client.get(f"/records/{item.record_id}"))
    assert '<option value="central" selected>' in page
    assert f'<option value="{item.barcode}">' in page
    response = client.post(f"/records/{item.record_id}/hold", {"pickup_branch": "central", "holding": ""})
    assert response["Location"] == f"/records/{item.record_id}#hold"
    hold = Hold.objects.get(patron=hanako)
    assert hold.pickup_branch.code == "central" and hold.holding is None
    page = text(client.get(f"/records/{item.record_id}"))
    assert "予約しました。" in page and "順番: <strong>1</strong>番目" in page and "用意できる目安" in page


def test_a_hold_on_one_copy_and_a_refused_hold(hanako, taro):
    item = factories.copy()
    second = factories.copy(item.record)
    client = logged_in(hanako)
    client.post(f"/records/{item.record_id}/hold", {"pickup_branch": "central", "holding": second.barcode})
    assert Hold.objects.get(patron=hanako).holding_id == second.pk
    lend(taro, factories.copy(item.record))
    other = logged_in(taro)
    other.post(f"/records/{item.record_id}/hold", {"pickup_branch": "central"})
    assert "この資料はいま借りています。" in text(other.get(f"/records/{item.record_id}"))


def test_the_record_page_says_when_the_patron_has_it_on_loan_instead_of_offering_a_hold(hanako):
    loan = lend(hanako)
    page = text(logged_in(hanako).get(f"/records/{loan.holding.record_id}"))
    assert f'この資料を借りています。返却期限は <time datetime="{loan.due_on.isoformat()}">' in page
    assert "予約する</button>" not in page


def test_a_record_page_that_shows_a_patrons_own_loan_or_hold_is_not_kept_by_any_cache(hanako):
    item = factories.copy()
    anonymous = Client().get(f"/records/{item.record_id}")
    assert "no-store" not in anonymous.get("Cache-Control", "")
    personal = logged_in(hanako).get(f"/records/{item.record_id}")
    assert {"private", "no-store"} <= {d.strip() for d in personal["Cache-Control"].split(",")}
    assert "Cookie" in personal["Vary"]


def test_a_patron_with_an_overdue_loan_is_told_why_a_hold_is_refused(hanako):
    loan = lend(hanako)
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    item = factories.copy()
    client = logged_in(hanako)
    client.post(f"/records/{item.record_id}/hold", {"pickup_branch": "central"})
    assert not Hold.objects.exists()
    assert "返却期限を過ぎた資料があるため、いまは予約できません。" in text(
        client.get(f"/records/{item.record_id}")
    )


def test_a_hold_with_an_unknown_branch_is_refused_with_a_message(hanako):
    item = factories.copy()
    client = logged_in(hanako)
    client.post(f"/records/{item.record_id}/hold", {"pickup_branch": "nowhere"})
    assert not Hold.objects.exists()
    assert "受取館を選んでください。" in text(client.get(f"/records/{item.record_id}"))


# -- settings and reading history -----------------------------------------------------------------


def test_preferences_are_saved_and_email_notices_need_an_address(hanako):
    client = logged_in(hanako)
    response = client.post(
        "/account/settings", {"email": "", "phone": "", "notice_channel": "email", "language": "ja"}
    )
    assert response.status_code == 400
    assert "メールでお知らせを受け取るには、メールアドレスが必要です。" in text(response)
    response = client.post(
        "/account/settings",
        {"email": "hanako@example.jp", "phone": "03-1234-5678", "notice_channel": "email", "language": "en"},
    )
    assert response.status_code == 302
    saved = Patron.objects.get(pk=hanako.pk)
    assert (saved.email, saved.phone, saved.notice_channel, saved.language, saved.due_soon_reminder) == (
        "hanako@example.jp",
        "03-1234-5678",
        "email",
        "en",
        False,
    )


def test_reading_history_is_off_by_default_and_kept_only_after_opting_in(hanako):
    client = logged_in(hanako)
    loan = lend(hanako)
    services.checkin(barcode=loan.holding.barcode, branch=loan.branch)
    assert not ReadingHistory.objects.exists()
    assert "読書記録を残す" in text(client.get("/account/history"))
    client.post("/account/history/start")
    kept = lend(hanako)
    services.checkin(barcode=kept.holding.barcode, branch=kept.branch)
    page = text(client.get("/account/history"))
    assert kept.holding.record.title in page


def test_stopping_reading_history_warns_with_the_count_then_deletes_everything(hanako):
    services.set_reading_history(patron=hanako, enabled=True)
    for _ in range(2):
        loan = lend(hanako)
        services.checkin(barcode=loan.holding.barcode, branch=loan.branch)
    client = logged_in(hanako)
    confirm = text(client.get("/account/history/stop"))
    assert "これまでの記録 2件がすべて削除されます。削除した記録は元に戻せません。" in confirm
    assert ReadingHistory.objects.filter(patron=hanako).count() == 2
    client.post("/account/history/stop")
    assert not ReadingHistory.objects.filter(patron=hanako).exists()
    assert not Patron.objects.get(pk=hanako.pk).reading_history


def test_one_history_entry_can_be_deleted(hanako):
    services.set_reading_history(patron=hanako, enabled=True)
    for _ in range(2):
        loan = lend(hanako)
        services.checkin(barcode=loan.holding.barcode, branch=loan.branch)
    first, second = ReadingHistory.objects.filter(patron=hanako).order_by("pk")
    logged_in(hanako).post(f"/account/history/{first.pk}/delete")
    assert list(ReadingHistory.objects.filter(patron=hanako)) == [second]


# -- the digital card -----------------------------------------------------------------------------

CODE128_START_C, CODE128_CODE_B, CODE128_STOP_VALUE = 105, 100, 106


def decode_code128(modules: str) -> str:
    """A Code 128 reader for the symbols we draw (start C, maybe a switch to B): bar/space widths
    are matched against the standard's table, and the check symbol is verified."""
    from barcode.charsets.code128 import CODES, STOP

    assert modules.endswith(STOP + "11"), "no stop pattern"
    body = modules[: -len(STOP) - 2]
    values = [CODES.index(body[i : i + 11]) for i in range(0, len(body), 11)]
    *data, check = values
    assert check == (data[0] + sum(i * v for i, v in enumerate(data[1:], start=1))) % 103, "bad check symbol"
    assert data[0] == CODE128_START_C
    out, subset = "", "C"
    for value in data[1:]:
        if value == CODE128_CODE_B:
            subset = "B"
        elif subset == "C":
            out += f"{value:02d}"
        else:
            out += chr(value + 32)
    return out


def svg_bar_modules(svg: str) -> str:
    runs = [(int(x), int(w)) for x, w in re.findall(r"M(\d+) 0h(\d+)v", svg)]
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))  # type: ignore[union-attr]
    cells = ["0"] * width
    for x, w in runs:
        cells[x : x + w] = ["1"] * w
    return "".join(cells).strip("0")


def svg_qr_matrix(svg: str) -> list[list[int]]:
    """segno's path, read back: M/m move, h draws a run of dark modules on the current row."""
    size = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))  # type: ignore[union-attr]
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    grid = [[0] * size for _ in range(size)]
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for col in range(int(x), int(x) + int(a)):
                grid[int(y)][col] = 1
            x += float(a)
    return grid


def test_the_card_page_shows_the_card_number_as_a_code128_barcode_and_a_qr_code(hanako):
    page = logged_in(hanako).get("/account/card").content.decode()
    barcode = re.search(r'<svg class="card-symbol card-symbol--barcode".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    qr = re.search(
        r'<svg viewBox="0 0 \d+ \d+" class="card-symbol card-symbol--qr".*?</svg>', page, re.S
    ).group(0)  # type: ignore[union-attr]
    assert decode_code128(svg_bar_modules(barcode)) == hanako.card_number
    expected = [list(row) for row in card_symbols.qr(hanako.card_number).matrix_iter(scale=1, border=4)]
    assert svg_qr_matrix(qr) == [[int(bool(c)) for c in row] for row in expected]
    assert card_symbols.qr(hanako.card_number).designator.endswith("-M")  # a full QR code, level M
    assert f'data-card-number="{hanako.card_number}"' in page


def test_the_card_can_carry_nw7_for_scanners_set_up_for_it_alone(hanako, settings):
    settings.TOSHOKAN_CARD_BARCODE = "codabar"
    page = logged_in(hanako).get("/account/card").content.decode()
    barcode = re.search(r'<svg class="card-symbol card-symbol--barcode".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    assert 'data-symbology="codabar"' in barcode
    assert svg_bar_modules(barcode) == card_symbols.barcode_modules(hanako.card_number, "codabar")
    settings.TOSHOKAN_CARD_BARCODE = "ean13"
    with pytest.raises(ImproperlyConfigured, match="TOSHOKAN_CARD_BARCODE must be one of codabar, code128"):
        card_symbols.symbology()


def test_the_barcode_reader_used_above_can_fail():
    modules = card_symbols.code128_modules("2900000000017")
    assert decode_code128(modules) == "2900000000017"
    flipped = modules[:20] + ("0" if modules[20] == "1" else "1") + modules[21:]
    with pytest.raises((AssertionError, ValueError)):
        decode_code128(flipped)


def test_the_service_worker_is_served_from_the_site_root_and_keeps_only_the_card():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'const CARD = "/account/card";' in body
    assert '/account/"' not in body


def test_the_account_pages_are_in_english_for_a_browser_that_asks(hanako, taro):
    loan = lend(hanako)
    services.place_hold(patron=taro, record=loan.holding.record, pickup_branch=loan.branch)
    client = Client(headers={"accept-language": "en"})
    login = text(client.get("/account/login"))
    assert "Log in to My library" in login and "Card number" in login
    client.post("/account/login", {"card_number": hanako.card_number, "pin": patron_factories.PIN})
    page = text(client.get("/account/"))
    assert '<h1 class="page-title">My library</h1>' in page
    assert ">Renew</button>" in page and "1 item" in page and "days left" in page
    body = text(client.post(f"/account/loans/{loan.pk}/renew", HTTP_HX_REQUEST="true"))
    assert "It cannot be renewed: someone else has placed a hold on it." in body
    assert "Library card" in text(client.get("/account/card"))


# -- notices --------------------------------------------------------------------------------------


def test_the_account_shows_the_patrons_own_notice_log_and_marks_it_read(hanako, taro):
    from toshokan.notices import services as notice_services
    from toshokan.notices.domain.messages import NoticeContext, NoticeItem
    from toshokan.notices.models import Notice

    day = timezone.localdate() + timedelta(days=3)
    mine = notice_services.send_notice(
        patron=hanako,
        kind="hold_ready",
        items=[NoticeItem(title="こころ")],
        context=NoticeContext(on=day, branch="中央図書館"),
    )
    notice_services.send_notice(patron=taro, kind="registration_expiring", context=NoticeContext(on=day))
    client = logged_in(hanako)
    page = text(client.get("/account/"))
    assert f'id="notice-{mine.pk}"' in page
    assert "予約資料のご用意" in page and mine.subject in page and "未読 1件" in page
    assert "登録更新のお知らせ" not in page
    assert client.post("/account/notices/read").status_code == 302
    assert Notice.objects.get(pk=mine.pk).read_at is not None
    assert Notice.objects.get(patron=taro).read_at is None
    assert "未読" not in text(client.get("/account/")).split('id="notices-heading"')[1].split("</h2>")[0]
