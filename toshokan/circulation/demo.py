"""The demo library's circulation: rules, branch calendars, settings, patrons, loans, holds, history.

Every loan, hold, transit and history entry is made through the services the desk, the self-check
and the API call (register_patron, checkout, checkin, renew, place_hold, suspend_hold, add_block,
set_reading_history), with `now` set to days in the past where a story needs it (an overdue loan,
a queue in the order it formed). So each copy's status is backed by what circulation holds: a copy
on loan has its loan, a copy on the hold shelf its ready hold, a copy in transit its transit.

Patrons:
- the patrons listed in demo/credentials.json under "patrons" (at least 20) start with no loans,
  holds or blocks, so that scripts and people can borrow with them at once (../shared/CONTRACT.md);
- those under "showcase_patrons" each show one thing: loans due soon, an overdue loan, holds in a
  queue, on the hold shelf, suspended and in transit, a reading history they opted into, a block,
  a registration about to expire, a child's and a group's card;
- a few hundred "community" patrons without PINs borrow about one copy in fifteen, so that search
  and the Calil-compatible API show 貸出中 and 予約中 as a real library's would.

Notices follow from the same services and the daily task's scans: hold-ready notices when holds
are trapped, then today's due-soon, overdue and registration-expiring notices.

Loading is idempotent: a patron's story is played only when the patron is first registered, and
rules, calendars and settings are updated in place. A database loaded before this step existed
(when the catalogue demo drew statuses like on_loan at random) is repaired first: a copy whose
status nothing backs goes back on the shelf.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from toshokan.catalog import services as catalog_services
from toshokan.catalog.domain.enums import HoldingStatus, MaterialType
from toshokan.catalog.models import Branch, Holding, Record
from toshokan.core import hooks
from toshokan.core.domain import DomainError
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.cards import make_card_number
from toshokan.patrons.domain.enums import BlockReason, NoticeChannel, PatronCategory, Residency
from toshokan.patrons.models import Patron

from . import selectors, services
from .domain.policy import OverdueMode
from .domain.states import HoldState
from .models import (
    CirculationRule,
    CirculationSettings,
    ClosedDay,
    Hold,
    HoldShelfClearance,
    Loan,
    ServicePoint,
    Transit,
    WeeklyClosure,
)

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

VERSION = "circulation-1"
SEED = 20261126
CREDENTIALS = Path(settings.BASE_DIR) / "demo" / "credentials.json"
COMMUNITY_PATRONS = 300
COMMUNITY_SERIAL = 1001
COMMUNITY_LOAN_SHARE = 1 / 15  # of the lendable copies
PAST_LOANS = 200  # borrowed and returned before today: anonymous statistics only
QUEUES = 8  # records every copy of which is out, with holds waiting
READY_PER_BRANCH = 3

# -- rules, calendars, settings -------------------------------------------------------------------------

# (patron category, material type, loan days, max loans, renewals, max holds, pickup days); "" = any.
RULES = (
    ("", "", 14, 10, 1, 10, 7),  # 一般: two weeks, ten items — the common terms
    (PatronCategory.CHILD, "", 14, 20, 1, 10, 7),  # 児童: picture books go out by the armful
    (PatronCategory.GROUP, "", 28, 50, 0, 20, 14),  # 団体貸出 (文庫, schools): a month, fifty items
    ("", MaterialType.VIDEO, 7, 10, 0, 3, 7),  # 視聴覚資料: a week, no renewal
    ("", MaterialType.AUDIO, 7, 10, 0, 3, 7),
)
# 定期休館日 (Monday is 0), and the week of 蔵書点検 (month, first day) each branch closes for.
WEEKLY_CLOSURES = {"central": (0,), "ekimae": (3,), "kita": (0,), "minami": (1,)}
INVENTORY = {"central": (2, 9), "ekimae": (6, 8), "kita": (9, 7), "minami": (11, 9)}
INVENTORY_DAYS = 5


def demo_fingerprint() -> str:
    """The credentials file, this module's version and the year: a new year adds its closed days."""
    digest = hashlib.sha256(f"{VERSION}:{timezone.localdate().year}".encode())
    digest.update(CREDENTIALS.read_bytes())
    return digest.hexdigest()[:16]


def load_rules(progress: Progress) -> None:
    for category, material, days, loans, renewals, holds, pickup in RULES:
        CirculationRule.objects.update_or_create(
            patron_category=str(category),
            material_type=str(material),
            branch=None,
            defaults={
                "loan_days": days,
                "max_loans": loans,
                "max_renewals": renewals,
                "max_holds": holds,
                "hold_pickup_days": pickup,
            },
        )
    row = CirculationSettings.objects.order_by("pk").first() or CirculationSettings()
    row.overdue_mode = OverdueMode.UNTIL_RETURNED.value
    row.due_soon_days = 2
    row.save()
    progress(f"circulation rules: {CirculationRule.objects.count()}")


def closed_dates(code: str, today: date) -> list[tuple[date, str, str]]:
    """This branch's inventory week from last year to next (so due dates a year ahead see it)."""
    month, day = INVENTORY[code]
    out: list[tuple[date, str, str]] = []
    for year in (today.year - 1, today.year, today.year + 1):
        start = date(year, month, day)
        out += [
            (start + timedelta(days=i), ClosedDay.Kind.INVENTORY, "蔵書点検期間")
            for i in range(INVENTORY_DAYS)
        ]
    return out


def new_year_dates(today: date) -> list[date]:
    """年末年始 (29 December to 3 January), every branch, around last, this and next year's turn."""
    out = []
    for year in (today.year - 1, today.year, today.year + 1):
        out += [date(year, 12, d) for d in (29, 30, 31)] + [date(year + 1, 1, d) for d in (1, 2, 3)]
    return out


def load_calendars(progress: Progress, branches: dict[str, Branch], today: date) -> None:
    for code, branch in branches.items():
        for weekday in WEEKLY_CLOSURES.get(code, ()):
            WeeklyClosure.objects.get_or_create(branch=branch, weekday=weekday)
        if code in INVENTORY:
            for day, kind, note in closed_dates(code, today):
                ClosedDay.objects.update_or_create(
                    branch=branch, date=day, defaults={"kind": kind, "note": note}
                )
    for day in new_year_dates(today):
        ClosedDay.objects.update_or_create(
            branch=None, date=day, defaults={"kind": ClosedDay.Kind.NEW_YEAR, "note": "年末年始"}
        )
    progress(
        f"calendars: {WeeklyClosure.objects.count()} weekly closing days, {ClosedDay.objects.count()} closed dates"
    )


def load_service_points(progress: Progress, branches: dict[str, Branch]) -> None:
    """Desk staff work at the central library unless credentials.json names a branch."""
    data = json.loads(CREDENTIALS.read_text(encoding="utf-8"))
    users = get_user_model().objects
    placed = []
    for entry in data.get("staff", []):
        if entry.get("role") not in ("desk", "manager"):
            continue
        user = users.filter(username=entry["username"]).first()
        branch = branches.get(entry.get("branch", "central"))
        if user is None or branch is None:
            continue
        ServicePoint.objects.update_or_create(user=user, defaults={"branch": branch})
        placed.append(f"{user.get_username()}@{branch.code}")
    if placed:
        progress(f"service points: {', '.join(placed)}")


# -- repairing statuses nothing backs --------------------------------------------------------------------


def unbacked_copies() -> list[int]:
    """Copies whose status says on loan, on the hold shelf or in transit with no loan, ready hold
    (or ended hold still to be taken down) or transit behind it (left by a catalogue demo loaded
    before circulation existed)."""
    ready = Hold.objects.filter(assigned=OuterRef("pk"), state=HoldState.READY)
    to_take_down = HoldShelfClearance.objects.filter(holding=OuterRef("pk"))  # its hold ended
    loan = Loan.objects.filter(holding=OuterRef("pk"))
    transit = Transit.objects.filter(holding=OuterRef("pk"))
    ids: list[int] = []
    for status, backing in (
        (HoldingStatus.ON_LOAN, [loan]),
        (HoldingStatus.ON_HOLD_SHELF, [ready, to_take_down]),
        (HoldingStatus.IN_TRANSIT, [transit]),
    ):
        copies = Holding.objects.filter(status=status)
        for rows in backing:
            copies = copies.exclude(Exists(rows))
        ids += copies.values_list("pk", flat=True)
    return sorted(ids)


def repair_statuses(progress: Progress) -> int:
    ids = unbacked_copies()
    for holding in Holding.objects.filter(pk__in=ids):
        catalog_services.set_holding_status(holding=holding, status=HoldingStatus.AVAILABLE)
    if ids:
        progress(
            f"statuses: {len(ids)} copies marked on loan, on the hold shelf or in transit put back on the shelf"
        )
    return len(ids)


# -- patrons -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPatron:
    serial: int
    family_name: str
    given_name: str
    reading: str
    branch: str
    pin: str
    category: PatronCategory = PatronCategory.ADULT
    residency: Residency = Residency.RESIDENT
    email: str = ""
    story: str = ""

    @property
    def card(self) -> str:
        return make_card_number(patron_services.card_prefix(), self.serial)

    @property
    def name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()


def _p(
    serial: int, family: str, given: str, reading: str, branch: str, pin: str, email: str = "", **kw: object
) -> DemoPatron:
    return DemoPatron(serial, family, given, reading, branch, pin, email=email, **kw)  # type: ignore[arg-type]


# Patrons who start with nothing: no loans, no holds, no blocks (demo/credentials.json "patrons").
CLEAN = (
    _p(1, "佐藤", "健太", "さとう けんた", "central", "2468", "kenta.sato@example.jp"),
    _p(2, "鈴木", "美咲", "すずき みさき", "ekimae", "1357"),
    _p(3, "高橋", "翔", "たかはし しょう", "kita", "8024", "sho.takahashi@example.jp"),
    _p(4, "田中", "陽菜", "たなか ひな", "minami", "5173"),
    _p(
        5,
        "伊藤",
        "大輔",
        "いとう だいすけ",
        "central",
        "3091",
        "daisuke.ito@example.jp",
        residency=Residency.COMMUTER,
    ),
    _p(6, "渡辺", "さくら", "わたなべ さくら", "ekimae", "7264"),
    _p(7, "山本", "拓海", "やまもと たくみ", "kita", "4826", "takumi.yamamoto@example.jp"),
    _p(8, "中村", "結衣", "なかむら ゆい", "minami", "6395"),
    _p(9, "小林", "悠斗", "こばやし ゆうと", "central", "1928", "yuto.kobayashi@example.jp"),
    _p(10, "加藤", "愛", "かとう あい", "ekimae", "5540"),
    _p(11, "吉田", "蓮", "よしだ れん", "kita", "2719", "ren.yoshida@example.jp"),
    _p(12, "山田", "花子", "やまだ はなこ", "minami", "8362"),
    _p(
        13,
        "佐々木",
        "誠",
        "ささき まこと",
        "central",
        "4073",
        "makoto.sasaki@example.jp",
        residency=Residency.COMMUTER,
    ),
    _p(14, "山口", "彩", "やまぐち あや", "ekimae", "9184"),
    _p(15, "松本", "陸", "まつもと りく", "kita", "3650", "riku.matsumoto@example.jp"),
    _p(16, "井上", "真央", "いのうえ まお", "minami", "7031"),
    _p(17, "木村", "颯太", "きむら そうた", "central", "2587", "sota.kimura@example.jp"),
    _p(18, "林", "葵", "はやし あおい", "ekimae", "6142"),
    _p(19, "斎藤", "翼", "さいとう つばさ", "kita", "8906", "tsubasa.saito@example.jp"),
    _p(20, "清水", "凛", "しみず りん", "minami", "1475"),
    _p(21, "山崎", "健", "やまざき けん", "central", "3819", "ken.yamazaki@example.jp"),
    _p(22, "森", "七海", "もり ななみ", "ekimae", "5208"),
    _p(23, "池田", "優", "いけだ ゆう", "kita", "7763", "yu.ikeda@example.jp"),
    _p(24, "橋本", "美月", "はしもと みづき", "minami", "4391"),
)

# Patrons with something to show (demo/credentials.json "showcase_patrons").
SHOWCASE = (
    _p(101, "青木", "一郎", "あおき いちろう", "central", "2580", "ichiro.aoki@example.jp",
       story="three loans: one due in two days, one already renewed"),
    _p(102, "石川", "直子", "いしかわ なおこ", "ekimae", "3690", "naoko.ishikawa@example.jp",
       story="an overdue loan: no new loans until it comes back"),
    _p(103, "前田", "恵", "まえだ めぐみ", "central", "1470", "megumi.maeda@example.jp",
       story="holds: one ready on the hold shelf, one first in a queue, one suspended"),
    _p(104, "藤田", "浩", "ふじた ひろし", "kita", "2581",
       story="holds: second in a queue, one in transit to 北分館"),
    _p(105, "西村", "隆", "にしむら たかし", "minami", "3692", "takashi.nishimura@example.jp",
       story="a hold third in a queue"),
    _p(106, "岡田", "和子", "おかだ かずこ", "central", "1593", "kazuko.okada@example.jp",
       story="opted in to a reading history: six books read, one on loan"),
    _p(107, "後藤", "正", "ごとう ただし", "ekimae", "7531",
       story="card stopped by staff (連絡不能: address unknown)"),
    _p(108, "長谷川", "明美", "はせがわ あけみ", "kita", "9513", "akemi.hasegawa@example.jp",
       residency=Residency.COMMUTER, story="registration expires in 20 days (renewable now)"),
    _p(109, "村上", "ゆうき", "むらかみ ゆうき", "minami", "2684",
       category=PatronCategory.CHILD, story="a child's card (児童) with two loans"),
    _p(110, "みどり文庫", "", "みどりぶんこ", "central", "4862", "midori.bunko@example.jp",
       category=PatronCategory.GROUP, story="a group card (団体貸出): ten books for four weeks"),
)  # fmt: skip

FAMILY = (
    ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"), ("伊藤", "いとう"),
    ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"), ("小林", "こばやし"), ("加藤", "かとう"),
    ("吉田", "よしだ"), ("山田", "やまだ"), ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"),
    ("井上", "いのうえ"), ("木村", "きむら"), ("林", "はやし"), ("斎藤", "さいとう"), ("清水", "しみず"),
    ("近藤", "こんどう"), ("石井", "いしい"), ("小川", "おがわ"), ("岡本", "おかもと"), ("坂本", "さかもと"),
)  # fmt: skip
GIVEN = (
    ("陽翔", "はると"), ("蒼", "あおい"), ("湊", "みなと"), ("結菜", "ゆいな"), ("芽依", "めい"), ("大和", "やまと"),
    ("杏", "あん"), ("智子", "ともこ"), ("洋子", "ようこ"), ("茂", "しげる"), ("博", "ひろし"), ("恵子", "けいこ"),
    ("美穂", "みほ"), ("直樹", "なおき"), ("亮", "りょう"), ("千尋", "ちひろ"), ("悟", "さとる"), ("麻衣", "まい"),
)  # fmt: skip


def credentials() -> dict[str, list[dict[str, str]]]:
    """What demo/credentials.json says about patrons (its "patrons" and "showcase_patrons")."""
    return {
        "patrons": [{"card": p.card, "pin": p.pin, "name": p.name} for p in CLEAN],
        "showcase_patrons": [
            {"card": p.card, "pin": p.pin, "name": p.name, "story": p.story} for p in SHOWCASE
        ],
    }


def _at(day: date, hour: int = 11, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _register(
    p: DemoPatron, branches: dict[str, Branch], today: date, *, registered: date | None = None
) -> Patron | None:
    """The patron, newly registered — or None if they exist already (their story was played)."""
    if Patron.objects.filter(card_number=p.card).exists():
        return None
    return patron_services.register_patron(
        card_number=p.card,
        family_name=p.family_name,
        given_name=p.given_name,
        name_reading=p.reading,
        home_branch=branches[p.branch],
        category=p.category,
        residency=p.residency,
        email=p.email,
        notice_channel=NoticeChannel.EMAIL if p.email else NoticeChannel.ACCOUNT,
        pin=p.pin,
        today=registered or _registration_day(p, today),
    )


def _registration_day(p: DemoPatron, today: date) -> date:
    """Long enough ago to have a past, recent enough to be valid (commuters register for a year)."""
    if p.residency == Residency.RESIDENT:
        return today - timedelta(days=400 + p.serial % 300)
    return today - timedelta(days=30 + p.serial % 200)


class Shelves:
    """The lendable copies on the shelf, taken one by one as the stories lend or hold them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        rows = (
            Holding.objects.filter(status=HoldingStatus.AVAILABLE)
            .exclude(Exists(Loan.objects.filter(holding=OuterRef("pk"))))
            .exclude(Exists(Hold.objects.filter(assigned=OuterRef("pk"))))
            .order_by("barcode")
            .values_list("pk", "barcode", "record_id", "branch__code", "material_type")
        )
        self.copies = {
            pk: (barcode, record, branch, material) for pk, barcode, record, branch, material in rows
        }
        self.by_record: dict[int, list[int]] = {}
        for pk, (_, record, _, _) in self.copies.items():
            self.by_record.setdefault(record, []).append(pk)
        self.taken: set[int] = set()

    def free(self, pk: int) -> bool:
        return pk in self.copies and pk not in self.taken

    def take(self, pk: int) -> str:
        self.taken.add(pk)
        return self.copies[pk][0]

    def any(self, *, branch: str | None = None, material: Iterable[str] | None = None) -> int | None:
        wanted = set(material) if material is not None else None
        candidates = [
            pk
            for pk, (_, _, code, kind) in self.copies.items()
            if pk not in self.taken
            and (branch is None or code == branch)
            and (wanted is None or kind in wanted)
        ]
        return self.rng.choice(candidates) if candidates else None

    def whole_records(self, copies: int) -> list[int]:
        """Records with exactly this many copies, every one of them free (for queues)."""
        return [
            record
            for record, pks in sorted(self.by_record.items())
            if len(pks) == copies and all(self.free(pk) for pk in pks)
        ]


class Desk:
    """Circulation through the services, with a date in the past where the story needs one."""

    def __init__(self, branches: dict[str, Branch], today: date) -> None:
        self.branches = branches
        self.today = today
        self.calendars = {code: selectors.calendar_for(b) for code, b in branches.items()}
        self.problems = 0

    def open_day(self, code: str, days_ago: int) -> date:
        """The open day at this branch on or before `days_ago` days back (a desk lends on open days)."""
        day = self.today - timedelta(days=days_ago)
        while not self.calendars[code].is_open(day) and (self.today - day).days < 30 + days_ago:
            day -= timedelta(days=1)
        return day

    def lend(self, patron: Patron, barcode: str, code: str, days_ago: int, minute: int = 0) -> bool:
        try:
            services.checkout(
                barcode=barcode,
                patron=patron,
                branch=self.branches[code],
                now=_at(self.open_day(code, days_ago), 10 + minute % 8, minute % 60),
            )
        except DomainError as exc:
            self.problems += 1
            log.warning("demo checkout of %s refused: %s", barcode, exc)
            return False
        return True

    def give_back(self, barcode: str, code: str, days_ago: int) -> services.CheckinResult:
        return services.checkin(
            barcode=barcode, branch=self.branches[code], now=_at(self.open_day(code, days_ago), 15)
        )

    def hold(self, patron: Patron, record_id: int, code: str, days_ago: int, minute: int = 0) -> Hold | None:
        try:
            return services.place_hold(
                patron=patron,
                record=Record.objects.get(pk=record_id),
                pickup_branch=self.branches[code],
                now=_at(self.today - timedelta(days=days_ago), 9 + minute % 10, minute % 60),
            )
        except DomainError as exc:
            self.problems += 1
            log.warning("demo hold on record %s refused: %s", record_id, exc)
            return None


def load_patrons(progress: Progress, branches: dict[str, Branch], today: date) -> None:
    rng = random.Random(SEED)
    shelves = Shelves(rng)
    desk = Desk(branches, today)
    clean = [p for p in (_register(d, branches, today) for d in CLEAN) if p is not None]
    # The showcase queue's record (こころ if it can be) is kept from the community's loans.
    queue = _queue_record(shelves)
    if queue is not None:
        shelves.taken.update(shelves.by_record[queue])
    community = _community(desk, shelves, rng, branches, today)
    show = {d.serial: _register(d, branches, today, registered=_registered_on(d, today)) for d in SHOWCASE}
    _showcase(desk, shelves, rng, show, community, queue)
    loans = Loan.objects.count()
    holds = dict(Hold.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    progress(
        f"patrons: {len(clean)} new with nothing on their card, {sum(1 for p in show.values() if p)} new"
        f" showcase, {Patron.objects.count()} patrons in all; {loans} loans, holds {holds},"
        f" {Transit.objects.count()} in transit"
        + (f" ({desk.problems} refused: see the log)" if desk.problems else "")
    )


def _registered_on(p: DemoPatron, today: date) -> date | None:
    if p.serial == 108:  # a commuter's one-year registration that ends in 20 days
        return today + timedelta(days=20) - timedelta(days=365)
    return None


def _community(
    desk: Desk, shelves: Shelves, rng: random.Random, branches: dict[str, Branch], today: date
) -> list[Patron]:
    """Patrons without PINs whose loans, returns and holds make the catalogue look lived in. Returns
    those free to borrow more (the ones with overdue loans are left out)."""
    codes = sorted(branches)
    patrons: list[Patron] = []
    for i in range(COMMUNITY_PATRONS):
        family, family_reading = FAMILY[rng.randrange(len(FAMILY))]
        given, given_reading = GIVEN[rng.randrange(len(GIVEN))]
        card = make_card_number(patron_services.card_prefix(), COMMUNITY_SERIAL + i)
        if Patron.objects.filter(card_number=card).exists():
            continue
        patrons.append(
            patron_services.register_patron(
                card_number=card,
                family_name=family,
                given_name=given,
                name_reading=f"{family_reading} {given_reading}",
                home_branch=branches[codes[i % len(codes)]],
                category=PatronCategory.CHILD if i % 9 == 0 else PatronCategory.ADULT,
                notice_channel=NoticeChannel.ACCOUNT,
                today=today - timedelta(days=30 + rng.randrange(900)),
            )
        )
    if not patrons:
        return patrons

    # Borrowed and returned weeks ago: only anonymous statistics remain (nobody here opted in).
    for n in range(PAST_LOANS):
        pk = shelves.any()
        if pk is None:
            break
        barcode = shelves.take(pk)
        home = shelves.copies[pk][2]
        out = 20 + rng.randrange(40)
        if desk.lend(patrons[n % len(patrons)], barcode, home, out, n):
            desk.give_back(barcode, home, out - 1 - rng.randrange(14))
        shelves.taken.discard(pk)

    # Current loans, about one lendable copy in fifteen, oldest first. A few were borrowed more than
    # two weeks ago, by patrons set apart for it: an overdue loan stops a patron borrowing more.
    late, patrons = patrons[::25], [p for i, p in enumerate(patrons) if i % 25]
    count = int(len(shelves.copies) * COMMUNITY_LOAN_SHARE)
    plan = sorted(
        (
            (15 + rng.randrange(20), True) if rng.random() < 0.04 else (rng.randrange(14), False)
            for _ in range(count)
        ),
        reverse=True,
    )
    for n, (days_ago, overdue) in enumerate(plan):
        pk = shelves.any()
        if pk is None:
            break
        borrower = late[n % len(late)] if overdue and late else patrons[rng.randrange(len(patrons))]
        desk.lend(borrower, shelves.take(pk), shelves.copies[pk][2], days_ago, n)

    # Queues: records every copy of which is out, with holds waiting in the order they were placed.
    records = shelves.whole_records(1) + shelves.whole_records(2)
    for n, record in enumerate(rng.sample(records, min(QUEUES, len(records)))):
        for pk in shelves.by_record[record]:
            desk.lend(
                patrons[rng.randrange(len(patrons))], shelves.take(pk), shelves.copies[pk][2], 10 + n % 3
            )
        for k, holder in enumerate(rng.sample(patrons, min(len(patrons), 1 + n % 4))):
            desk.hold(holder, record, codes[rng.randrange(len(codes))], 9 - k, k)

    # The hold shelf at every branch: holds placed online, the copy fetched from this branch's shelf.
    for code in codes:
        for k in range(READY_PER_BRANCH):
            pk = shelves.any(branch=code)
            if pk is None:
                break
            barcode = shelves.take(pk)
            hold = desk.hold(patrons[rng.randrange(len(patrons))], shelves.copies[pk][1], code, 2 + k, k)
            if hold is not None:
                desk.give_back(barcode, code, 1)

    # Returned at another branch today: on their way home.
    for k, code in enumerate(codes):
        pk = shelves.any(branch=codes[(k + 1) % len(codes)])
        if pk is None:
            continue
        barcode = shelves.take(pk)
        if desk.lend(patrons[rng.randrange(len(patrons))], barcode, shelves.copies[pk][2], 7):
            desk.give_back(barcode, code, 0)
    return patrons


def _showcase(
    desk: Desk,
    shelves: Shelves,
    rng: random.Random,
    show: dict[int, Patron | None],
    community: list[Patron],
    queue: int | None,
) -> None:
    aoki = show[101]
    if aoki is not None:
        for days_ago in (12, 5, 1):
            pk = shelves.any(branch="central")
            if pk is not None:
                desk.lend(aoki, shelves.take(pk), "central", days_ago)
        loans = list(Loan.objects.filter(patron=aoki).order_by("checked_out_at"))
        if len(loans) > 1:  # the one borrowed five days ago, renewed yesterday
            try:
                services.renew(
                    barcode=loans[1].holding.barcode, patron=aoki, now=_at(desk.today - timedelta(days=1))
                )
            except DomainError as exc:
                log.warning("demo renewal refused: %s", exc)
        av = shelves.any(material=(MaterialType.VIDEO, MaterialType.AUDIO))
        if av is not None:
            desk.lend(aoki, shelves.take(av), shelves.copies[av][2], 2)

    ishikawa = show[102]
    if ishikawa is not None:
        for days_ago in (24, 12):  # due ten days ago, and one borrowed before the first fell due
            pk = shelves.any(branch="ekimae")
            if pk is not None:
                desk.lend(ishikawa, shelves.take(pk), "ekimae", days_ago)

    # A queue of three on one record whose every copy is out (ideally こころ, whose text ships too).
    if queue is not None and community:
        for pk in shelves.by_record[queue]:
            desk.lend(
                community[rng.randrange(len(community))], shelves.take(pk), shelves.copies[pk][2], 7 + pk % 4
            )
        for minute, serial in enumerate((103, 104, 105)):
            patron = show[serial]
            if patron is not None:
                desk.hold(patron, queue, patron.home_branch.code, 6 - minute, minute)

    maeda = show[103]
    if maeda is not None:
        pk = shelves.any(branch="central")
        if pk is not None:  # placed online, fetched by the pull list, on the hold shelf now
            barcode = shelves.take(pk)
            if desk.hold(maeda, shelves.copies[pk][1], "central", 3):
                desk.give_back(barcode, "central", 1)
        single = [r for r in shelves.whole_records(1) if r != queue]
        if single and community:
            record = single[0]
            pk = shelves.by_record[record][0]
            desk.lend(community[0], shelves.take(pk), shelves.copies[pk][2], 4)
            hold = desk.hold(maeda, record, "central", 2)
            if hold is not None:
                services.suspend_hold(hold=hold, patron=maeda)

    fujita = show[104]
    if fujita is not None:
        pk = shelves.any(branch="central")
        if pk is not None:  # a copy from 中央 on its way to his pickup branch, 北分館
            barcode = shelves.take(pk)
            if desk.hold(fujita, shelves.copies[pk][1], "kita", 2):
                desk.give_back(barcode, "central", 0)

    okada = show[106]
    if okada is not None:
        services.set_reading_history(patron=okada, enabled=True)
        for k in range(6):
            pk = shelves.any(branch="central")
            if pk is None:
                break
            barcode = shelves.take(pk)
            if desk.lend(okada, barcode, "central", 120 - 18 * k):
                desk.give_back(barcode, "central", 110 - 18 * k)
        pk = shelves.any(branch="central")
        if pk is not None:
            desk.lend(okada, shelves.take(pk), "central", 4)

    goto = show[107]
    if goto is not None:
        patron_services.add_block(
            patron=goto, reason=BlockReason.ADDRESS_UNKNOWN, note="郵便物が返送されました (demo)"
        )

    murakami = show[109]
    if murakami is not None:
        for days_ago in (6, 6):
            pk = shelves.any(branch="minami")
            if pk is not None:
                desk.lend(murakami, shelves.take(pk), "minami", days_ago)

    midori = show[110]
    if midori is not None:
        for k in range(10):
            pk = shelves.any(branch="central")
            if pk is not None:
                desk.lend(midori, shelves.take(pk), "central", 9, k)


def _queue_record(shelves: Shelves) -> int | None:
    kokoro = Record.objects.filter(source="aozora", source_key="000773").values_list("pk", flat=True).first()
    if kokoro is not None and kokoro in shelves.whole_records(len(shelves.by_record.get(kokoro, []))):
        return kokoro
    for copies in (3, 2, 4):
        candidates = shelves.whole_records(copies)
        if candidates:
            return candidates[0]
    return None


def load(progress: Progress) -> None:
    """Rules, calendars and settings; repaired statuses; staff desks; patrons and their stories."""
    today = timezone.localdate()
    branches = {b.code: b for b in Branch.objects.all()}
    if not branches:
        progress("circulation: no branches (load the catalogue demo first); skipped")
        return
    # One index update at the end for every copy lent, returned or held, not one per transaction.
    with hooks.batched_changes():
        load_rules(progress)
        load_calendars(progress, branches, today)
        load_service_points(progress, branches)
        repair_statuses(progress)
        load_patrons(progress, branches, today)
        load_notices(progress, today)


def load_notices(progress: Progress, today: date) -> None:
    """Today's due-soon, overdue and registration notices, as the daily task sends them (hold-ready
    notices went out when the holds were trapped). Each is sent once: a second run sends nothing."""
    from . import tasks

    due_soon = tasks.send_due_soon_notices(today=today)
    overdue = tasks.send_overdue_notices(today=today)
    registration = tasks.send_registration_notices(today=today)
    progress(f"notices: {due_soon} due soon, {overdue} overdue, {registration} registration expiring")
