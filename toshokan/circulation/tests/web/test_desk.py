"""The staff desk through Django's test client: who may use it, what each scan does, what is
audited, and that nothing keeps a patron's loans after they end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.circulation import services
from toshokan.circulation.models import Hold, Loan, ServicePoint
from toshokan.patrons.domain.cards import make_card_number
from toshokan.patrons.domain.enums import BlockReason
from toshokan.patrons.models import Patron, PatronBlock, StaffAccess
from toshokan.patrons.services import add_block
from toshokan.staff.testing import enrol, sign_in, totp_code

from .conftest import PASSWORD, staff

pytestmark = pytest.mark.django_db

DESK_PAGES = ["checkout", "checkin", "renew", "holds", "patrons", "register"]


def accesses(patron, kind: str | None = None) -> int:
    qs = StaffAccess.objects.filter(patron=patron)
    return (qs.filter(kind=kind) if kind else qs).count()


# -- who may use the desk -------------------------------------------------------------------------


@pytest.mark.parametrize("name", DESK_PAGES)
def test_an_anonymous_visitor_is_sent_to_the_desk_login(client, name):
    response = client.get(reverse(f"desk:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login") + "?next=")


def test_a_cataloguer_cannot_use_the_desk(client, library):
    sign_in(client, staff("cat", "cataloguer"))
    for name in DESK_PAGES:
        response = client.get(reverse(f"desk:{name}"))
        assert response.status_code == 403, name
        assert "権限がありません" in response.content.decode()
    response = client.post(reverse("desk:checkout"), {"card": library.patron.card_number})
    assert response.status_code == 403
    assert not StaffAccess.objects.exists()


def test_a_patron_record_is_not_a_staff_login(client, library):
    # A desk account that is not marked staff (e.g. deactivated as staff) gets nothing.
    user = staff("former", "desk")
    user.is_staff = False
    user.save()
    sign_in(client, user)
    assert client.get(reverse("desk:checkout")).status_code == 403


def test_staff_log_in_on_the_desk_login_page_and_land_on_checkout(client, library):
    secret = enrol(staff("desk2", "desk"))
    page = client.get(reverse("desk:login"))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = client.post(reverse("desk:login"), {"username": "desk2", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:verify"))
    response = client.post(response["Location"], {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:checkout")
    client.logout()
    wrong = client.post(reverse("staff:login"), {"username": "desk2", "password": "nope"})
    assert "ログインできませんでした" in wrong.content.decode()


def test_desk_staff_cannot_stop_a_card_but_a_manager_can(client, library):
    sign_in(client, staff("d", "desk"))
    url = reverse("desk:add_block", args=[library.patron.pk])
    assert client.post(url, {"reason": "conduct"}).status_code == 403
    sign_in(client, staff("m", "manager"))
    assert client.post(url, {"reason": "conduct", "note": "注意"}).status_code == 302
    block = PatronBlock.objects.get(patron=library.patron)
    assert block.reason == "conduct" and block.created_by is not None and block.created_by.username == "m"
    client.post(reverse("desk:lift_block", args=[library.patron.pk, block.pk]))
    block.refresh_from_db()
    assert block.lifted_at is not None and block.lifted_by is not None and block.lifted_by.username == "m"


def test_the_manager_group_may_edit_rules_and_calendars_and_the_desk_group_may_not(db):
    manager, desk = staff("m", "manager"), staff("d", "desk")
    for perm in ("circulation.change_circulationrule", "circulation.add_closedday", "catalog.change_branch"):
        assert manager.has_perm(perm) and not desk.has_perm(perm)
    assert desk.has_perm("circulation.add_loan") and desk.has_perm("patrons.add_patron")


# -- checkout -------------------------------------------------------------------------------------


def test_scanning_the_card_then_copies_lends_each_at_once_and_the_list_grows(desk_client, library):
    p = library.patron
    page = desk_client.post(reverse("desk:checkout"), {"card": p.card_number})
    html = page.content.decode()
    assert page.status_code == 200 and "山田 花子" in html and 'name="barcode"' in html
    assert accesses(p, "profile") == 1

    first, second = library.copies[0], library.copies[2]
    r1 = desk_client.post(
        reverse("desk:checkout"), {"patron": p.card_number, "loans": "", "barcode": first.barcode}
    )
    loan1 = Loan.objects.get(holding=first)
    assert loan1.patron == p
    assert f'name="loans" value="{loan1.pk}"' in r1.content.decode()
    r2 = desk_client.post(
        reverse("desk:checkout"), {"patron": p.card_number, "loans": str(loan1.pk), "barcode": second.barcode}
    )
    html = r2.content.decode()
    loan2 = Loan.objects.get(holding=second)
    assert first.barcode in html and second.barcode in html
    assert loan2.due_on.strftime("%Y-%m-%d") in html
    assert Holding.objects.get(pk=second.pk).status == HoldingStatus.ON_LOAN


def test_a_refusal_is_shown_inline_with_its_reason(desk_client, library):
    p, other = library.patron, library.other
    services.checkout(barcode=library.copies[0].barcode, patron=other, branch=library.central)
    response = desk_client.post(
        reverse("desk:checkout"), {"patron": p.card_number, "loans": "", "barcode": library.copies[0].barcode}
    )
    assert response.status_code == 400
    assert "この資料は貸出中です" in response.content.decode()
    add_block(patron=p, reason=BlockReason.LOST_CARD)
    response = desk_client.post(
        reverse("desk:checkout"), {"patron": p.card_number, "loans": "", "barcode": library.copies[1].barcode}
    )
    assert "貸出停止中です (カード紛失)" in response.content.decode()
    assert not Loan.objects.filter(patron=p).exists()


def test_an_unknown_card_and_a_misread_card_are_told_apart(desk_client, library):
    unknown = desk_client.post(reverse("desk:checkout"), {"card": make_card_number("2900", 99999)})
    assert "登録されていません" in unknown.content.decode()
    misread = desk_client.post(reverse("desk:checkout"), {"card": library.patron.card_number[:-1] + "0"})
    if library.patron.card_number.endswith("0"):
        misread = desk_client.post(reverse("desk:checkout"), {"card": library.patron.card_number[:-1] + "1"})
    assert "チェックディジット" in misread.content.decode()


def test_the_next_patrons_card_scanned_into_the_copy_field_switches_patron(desk_client, library):
    response = desk_client.post(
        reverse("desk:checkout"),
        {"patron": library.patron.card_number, "loans": "", "barcode": library.other.card_number},
    )
    html = response.content.decode()
    assert "佐藤 健太" in html and f'name="patron" value="{library.other.card_number}"' in html
    assert not Loan.objects.exists()


def test_with_htmx_only_the_checkout_area_comes_back(desk_client, library):
    response = desk_client.post(
        reverse("desk:checkout"),
        {"patron": library.patron.card_number, "loans": "", "barcode": library.copies[0].barcode},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert '<div id="checkout-area"' in html and "<html" not in html
    # The live region outside the area is updated out of band.
    assert (
        'id="desk-status" role="status" class="visually-hidden" hx-swap-oob="true">こころ を貸出しました'
        in html
    )


def test_a_returned_loan_drops_out_of_the_session_list(desk_client, library):
    p = library.patron
    loan = services.checkout(barcode=library.copies[0].barcode, patron=p, branch=library.central)
    services.checkin(barcode=library.copies[0].barcode, branch=library.central)
    response = desk_client.post(
        reverse("desk:checkout"), {"patron": p.card_number, "loans": str(loan.pk), "barcode": ""}
    )
    assert library.copies[0].barcode not in response.content.decode()


# -- return and renewal ---------------------------------------------------------------------------


def test_a_return_says_shelf_and_overdue_days(desk_client, library):
    item = library.copies[0]
    loan = services.checkout(barcode=item.barcode, patron=library.patron, branch=library.central)
    Loan.objects.filter(pk=loan.pk).update(due_on=loan.due_on.replace(year=loan.due_on.year - 1))
    response = desk_client.post(reverse("desk:checkin"), {"barcode": item.barcode})
    html = response.content.decode()
    assert "書架へ" in html and "延滞" in html
    assert not Loan.objects.exists()


def test_a_return_that_fills_a_hold_prints_a_slip_and_is_audited(desk_client, library):
    item = library.copies[2]  # botchan at central
    services.checkout(barcode=item.barcode, patron=library.other, branch=library.central)
    services.checkout(barcode=library.copies[3].barcode, patron=library.other, branch=library.kita)
    hold = services.place_hold(patron=library.patron, record=library.botchan, pickup_branch=library.central)
    response = desk_client.post(reverse("desk:checkin"), {"barcode": item.barcode})
    html = response.content.decode()
    hold.refresh_from_db()
    assert hold.pickup_by is not None
    assert "予約棚へ" in html and library.patron.card_number in html
    assert hold.pickup_by.strftime("%Y-%m-%d") in html
    assert accesses(library.patron, "holds") == 1


def test_a_return_at_another_branch_says_transit_and_where(desk_client, library, desk_user):
    ServicePoint.objects.create(user=desk_user, branch=library.kita)
    item = library.copies[0]  # kokoro, home central
    services.checkout(barcode=item.barcode, patron=library.patron, branch=library.central)
    html = desk_client.post(reverse("desk:checkin"), {"barcode": item.barcode}).content.decode()
    assert "搬送: 中央図書館 へ" in html and "所蔵館へ返送" in html


def test_an_unknown_barcode_is_refused_on_return(desk_client, library):
    response = desk_client.post(reverse("desk:checkin"), {"barcode": "999"}, headers={"HX-Request": "true"})
    assert response.status_code == 200  # htmx swaps the refusal into the list
    assert "資料番号 999 の資料はありません" in response.content.decode()
    assert desk_client.post(reverse("desk:checkin"), {"barcode": "999"}).status_code == 400


def test_renewal_at_the_desk_and_its_refusal(desk_client, library):
    item = library.copies[0]
    services.checkout(
        barcode=item.barcode,
        patron=library.patron,
        branch=library.central,
        now=timezone.now() - timedelta(days=7),
    )
    html = desk_client.post(reverse("desk:renew"), {"barcode": item.barcode}).content.decode()
    assert "延長しました" in html
    again = desk_client.post(reverse("desk:renew"), {"barcode": item.barcode})
    assert again.status_code == 400 and "延長は1回までです" in again.content.decode()


# -- patrons --------------------------------------------------------------------------------------


def test_looking_up_by_card_goes_straight_to_the_patron_and_every_view_is_audited(desk_client, library):
    p = library.patron
    response = desk_client.get(reverse("desk:patrons"), {"q": p.card_number})
    assert response.status_code == 302 and response["Location"] == reverse("desk:patron", args=[p.pk])
    services.checkout(barcode=library.copies[0].barcode, patron=p, branch=library.central)
    page = desk_client.get(response["Location"])
    html = page.content.decode()
    assert "こころ" in html
    assert accesses(p, "profile") == accesses(p, "loans") == accesses(p, "holds") == 1
    assert {a.actor.username for a in StaffAccess.objects.filter(patron=p)} == {"desk1"}
    desk_client.get(response["Location"])
    assert accesses(p, "loans") == 2


def test_looking_up_by_name_or_reading_lists_patrons(desk_client, library):
    html = desk_client.get(reverse("desk:patrons"), {"q": "山田"}).content.decode()
    assert "山田 花子" in html and "佐藤" not in html
    assert (
        "該当する利用者はいません" in desk_client.get(reverse("desk:patrons"), {"q": "ん"}).content.decode()
    )


def test_registration_by_staff_shows_the_new_card_number(desk_client, library):
    response = desk_client.post(
        reverse("desk:register"),
        {
            "family_name": "新井",
            "given_name": "一郎",
            "name_reading": "あらい いちろう",
            "category": "adult",
            "residency": "resident",
            "home_branch": "kita",
            "notice_channel": "account",
            "pin": "2580",
        },
    )
    new = Patron.objects.get(family_name="新井")
    assert response.status_code == 302
    page = desk_client.get(response["Location"])
    assert new.card_number in page.content.decode() and "カードに印刷" in page.content.decode()
    assert new.home_branch.code == "kita"


def test_registration_refusals_are_clear(desk_client, library):
    response = desk_client.post(
        reverse("desk:register"),
        {
            "family_name": "新井",
            "category": "adult",
            "residency": "resident",
            "home_branch": "central",
            "notice_channel": "email",
        },
    )
    assert response.status_code == 400
    assert "メールアドレスが必要です" in response.content.decode()
    assert not Patron.objects.filter(family_name="新井").exists()


def test_pin_reset_registration_renewal_hold_and_cancel_from_the_patron_page(desk_client, library):
    from toshokan.patrons.services import authenticate

    p = library.patron
    desk_client.post(reverse("desk:reset_pin", args=[p.pk]), {"pin": "8642"})
    assert authenticate(card_number=p.card_number, pin="8642").pk == p.pk
    page = desk_client.post(reverse("desk:reset_pin", args=[p.pk]), {"pin": "12"}, follow=True)
    assert "暗証番号は4〜8桁の数字です" in page.content.decode()

    page = desk_client.post(reverse("desk:renew_registration", args=[p.pk]), follow=True)
    assert "1か月前から" in page.content.decode()

    desk_client.post(
        reverse("desk:place_hold", args=[p.pk]), {"item": library.copies[0].barcode, "pickup_branch": "kita"}
    )
    hold = Hold.objects.get(patron=p)
    assert hold.record == library.kokoro and hold.holding is None and hold.pickup_branch.code == "kita"
    page = desk_client.post(
        reverse("desk:place_hold", args=[p.pk]),
        {"item": str(library.kokoro.pk), "pickup_branch": "kita"},
        follow=True,
    )
    assert "すでに予約しています" in page.content.decode()
    desk_client.post(reverse("desk:cancel_hold", args=[p.pk, hold.pk]))
    assert not Hold.objects.exists()


# -- hold processing ------------------------------------------------------------------------------


def test_the_holds_page_lists_the_pull_list_the_hold_shelf_and_transits(desk_client, library):
    services.checkout(barcode=library.copies[2].barcode, patron=library.other, branch=library.central)
    services.checkout(barcode=library.copies[3].barcode, patron=library.other, branch=library.kita)
    services.place_hold(patron=library.patron, record=library.kokoro, pickup_branch=library.central)
    services.place_hold(patron=library.patron, record=library.botchan, pickup_branch=library.kita)
    html = desk_client.get(reverse("desk:holds")).content.decode()
    assert library.copies[0].barcode in html  # kokoro to fetch from the shelf here
    # Botchan comes back here and goes to the pickup branch.
    desk_client.post(reverse("desk:checkin"), {"barcode": library.copies[2].barcode})
    html = desk_client.get(reverse("desk:holds")).content.decode()
    assert 'id="transits-out"' in html and library.copies[2].barcode in html
    # Trap it: it goes on the hold shelf here.
    desk_client.post(reverse("desk:checkin"), {"barcode": library.copies[0].barcode})
    html = desk_client.get(reverse("desk:holds")).content.decode()
    assert 'id="hold-shelf"' in html and library.patron.card_number in html
    assert accesses(library.patron, "holds") >= 2


def test_a_cancelled_holds_copy_is_listed_to_take_down_until_it_is_scanned(desk_client, library):
    hold = services.place_hold(patron=library.patron, record=library.kokoro, pickup_branch=library.central)
    desk_client.post(reverse("desk:checkin"), {"barcode": library.copies[0].barcode})  # trapped
    services.cancel_hold(hold=hold.pk, patron=library.patron)
    html = desk_client.get(reverse("desk:holds")).content.decode()
    section = html.split('id="hold-shelf-clearance"')[1].split("</table>")[0]
    assert library.copies[0].barcode in section
    assert library.patron.card_number not in section  # the copy, not whose hold it was
    desk_client.post(reverse("desk:checkin"), {"barcode": library.copies[0].barcode})
    html = desk_client.get(reverse("desk:holds")).content.decode()
    assert 'id="hold-shelf-clearance"' not in html


# -- privacy --------------------------------------------------------------------------------------


def test_a_checkout_and_return_at_the_desk_leave_no_link_and_no_admin_log(desk_client, library):
    p, item = library.patron, library.copies[0]
    desk_client.post(
        reverse("desk:checkout"), {"patron": p.card_number, "loans": "", "barcode": item.barcode}
    )
    desk_client.post(reverse("desk:checkin"), {"barcode": item.barcode})
    assert not Loan.objects.exists()
    assert not LogEntry.objects.exists()
    for key, value in desk_client.session.items():
        assert item.barcode not in str(value) and p.card_number not in str(value), key


# -- languages ------------------------------------------------------------------------------------


def test_the_desk_speaks_english_with_refusals_by_their_code(desk_client, library):
    services.checkout(barcode=library.copies[0].barcode, patron=library.other, branch=library.central)
    desk_client.cookies["django_language"] = "en"
    page = desk_client.get(reverse("desk:checkout")).content.decode()
    assert '<html lang="en">' in page and "Scan the library card" in page and "Find patron" in page
    response = desk_client.post(
        reverse("desk:checkout"),
        {"patron": library.patron.card_number, "loans": "", "barcode": library.copies[0].barcode},
    )
    assert "This copy is on loan (return it first)" in response.content.decode()


def test_every_desk_string_has_an_english_translation():
    """Every msgid in the desk's .po is in the committed .mo with a translation."""
    import ast
    import gettext
    from pathlib import Path

    import toshokan.circulation

    folder = Path(toshokan.circulation.__file__).parent / "locale/en/LC_MESSAGES"
    msgids: list[str] = []
    current: list[str] | None = None
    context = ""
    for line in (folder / "django.po").read_text(encoding="utf-8").splitlines():
        if line.startswith("msgctxt "):
            context = ast.literal_eval(line[8:]) + "\x04"  # how gettext keys a message in context
        elif line.startswith("msgid "):
            current = [context, ast.literal_eval(line[6:])]
            context = ""
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        else:
            if current is not None and "".join(current[1:]):
                msgids.append("".join(current))
            current = None
    with (folder / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    singular = {k[0] if isinstance(k, tuple) else k for k, v in catalog.items() if v}
    assert len(msgids) > 100
    assert [m for m in msgids if m not in singular] == []


def test_desk_pages_are_not_kept_in_the_browser_cache(desk_client, library):
    response = desk_client.post(reverse("desk:checkout"), {"card": library.patron.card_number})
    assert "no-store" in response["Cache-Control"]
    assert "no-store" in desk_client.get(reverse("desk:patron", args=[library.patron.pk]))["Cache-Control"]


def test_the_desk_works_at_the_branch_chosen_in_the_header(desk_client, library):
    item = library.copies[0]  # home: central
    services.checkout(barcode=item.barcode, patron=library.patron, branch=library.central)
    response = desk_client.post(reverse("desk:branch"), {"branch": "kita", "next": reverse("desk:checkin")})
    assert response.status_code == 302 and response["Location"] == reverse("desk:checkin")
    html = desk_client.post(reverse("desk:checkin"), {"barcode": item.barcode}).content.decode()
    assert "搬送: 中央図書館 へ" in html
    # An address elsewhere is not followed.
    away = desk_client.post(reverse("desk:branch"), {"branch": "kita", "next": "https://example.com/"})
    assert away["Location"] == reverse("desk:checkout")


def _desk_urls(library) -> list[str]:
    from toshokan.circulation.urls import urlpatterns

    args = {"patron_id": library.patron.pk, "block_id": 1, "hold_id": 1, "review_id": 1}
    urls = []
    for pattern in urlpatterns:
        if pattern.name in ("login", "logout"):
            continue
        names = pattern.pattern.regex.groupindex
        urls.append(reverse(f"desk:{pattern.name}", kwargs={n: args[n] for n in names}))
    return urls


def test_every_desk_address_wants_a_login_and_the_desk_permission(client, library):
    urls = _desk_urls(library)
    assert len(urls) >= 15
    for address in urls:
        response = client.post(address, {"card": library.patron.card_number, "barcode": "x"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("staff:login")), (
            address
        )
    sign_in(client, staff("cat", "cataloguer"))
    for address in urls:
        assert client.post(address, {"card": library.patron.card_number}).status_code == 403, address
    assert not StaffAccess.objects.exists()


def test_an_unknown_copy_whose_number_looks_like_a_card_is_reported_as_a_copy(desk_client, library):
    number = make_card_number("2900", 4242)  # valid check digit, no such patron, no such copy
    response = desk_client.post(
        reverse("desk:checkout"), {"patron": library.patron.card_number, "loans": "", "barcode": number}
    )
    html = response.content.decode()
    assert f"資料番号 {number} の資料はありません" in html and "山田 花子" in html


def test_the_pull_list_is_in_shelf_order(desk_client, library):
    from toshokan.catalog import services as catalog_services
    from toshokan.catalog.tests import factories as catalog_factories

    late, early = catalog_factories.record("文学"), catalog_factories.record("歴史")
    catalog_services.add_holding(record=late, branch=library.central, barcode="9001", shelf_mark="913/ア")
    catalog_services.add_holding(record=early, branch=library.central, barcode="9002", shelf_mark="210/イ")
    services.place_hold(patron=library.patron, record=late, pickup_branch=library.kita)  # first in time
    services.place_hold(patron=library.patron, record=early, pickup_branch=library.kita)
    html = desk_client.get(reverse("desk:holds")).content.decode()
    assert html.index("210/イ") < html.index("913/ア")


def test_an_htmx_scan_after_the_session_ended_sends_the_whole_page_to_the_login(client, library):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/desk/checkout"}
    response = client.post(reverse("desk:checkout"), {"card": library.patron.card_number}, headers=headers)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("staff:login") + "?next=%2Fdesk%2Fcheckout"
    sign_in(client, staff("cat", "cataloguer"))
    response = client.post(reverse("desk:checkout"), {"card": library.patron.card_number}, headers=headers)
    assert response["HX-Redirect"] == "http://testserver/desk/checkout"
    assert not StaffAccess.objects.exists()
