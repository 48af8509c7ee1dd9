"""manage.py jpki_demo_card: play a My Number card for the demo (made-up residents, the demo CA).

    manage.py jpki_demo_card --nonce=<nonce from /signup/mynumber> > bundle.json
    manage.py jpki_demo_card --card demo1 --login --nonce=<nonce from the login page> > login.json
    manage.py jpki_demo_card --card demo1 --renew --address 東京都千代田区神田… --nonce=<nonce>

The bundle is what the card reader software would send; upload it on the page, or POST it to the
API. The demo CA is trusted only with TOSHOKAN_JPKI["DEMO"] and DEBUG on (docs/jpki.md).
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from toshokan.identity import demo, trust

NAMES = ["試験 一郎", "見本 花子", "仮名 次郎", "例示 桜", "架空 健太", "模擬 美咲"]


class Command(BaseCommand):
    help = "Sign a nonce with a demo My Number card (made-up resident, demo CA) and print the bundle JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--nonce", required=True, help="the challenge shown on the page or by the API")
        parser.add_argument("--card", default="", help="a demo card id to use again (made if new)")
        parser.add_argument("--name", default="", help="氏名 (family and given name, a space between)")
        parser.add_argument("--address", default="東京都千代田区千代田1番1号", help="住所")
        parser.add_argument("--birth", default="1990-04-01", help="生年月日 YYYY-MM-DD")
        parser.add_argument("--sex", default="2", choices=["1", "2"], help="性別 1 male, 2 female")
        parser.add_argument(
            "--login", action="store_true", help="sign with the authentication certificate only"
        )
        parser.add_argument("--no-auth", action="store_true", help="leave the authentication certificate out")
        parser.add_argument(
            "--renew", action="store_true", help="reissue the card (the old certificates revoked)"
        )
        parser.add_argument("--out", default="", help="write the bundle here instead of standard output")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not trust.demo_enabled():
            self.stderr.write(
                "warning: this server does not trust the demo CA (TOSHOKAN_JPKI DEMO and DEBUG must both be on)"
            )
        now = datetime.now(UTC)
        card_id = opts["card"] or "demo" + secrets.token_hex(3)
        try:
            card = None if opts["renew"] else _existing(card_id)
            if card is None:
                try:
                    birth = date.fromisoformat(opts["birth"])
                except ValueError as exc:
                    raise CommandError("--birth is YYYY-MM-DD") from exc
                resident = demo.Resident(
                    name=opts["name"] or secrets.choice(NAMES),
                    address=opts["address"],
                    date_of_birth=birth,
                    sex=opts["sex"],
                )
                if opts["renew"]:
                    old = _existing(card_id)
                    if old is None:
                        raise CommandError(f"no demo card {card_id} to renew")
                    resident = demo.Resident(
                        name=opts["name"] or old.resident.name,
                        address=opts["address"],
                        date_of_birth=old.resident.date_of_birth,
                        sex=old.resident.sex,
                    )
                card = demo.make_card(card_id, resident, now=now)
            else:
                demo.publish_crls(now=now)  # keep the demo CRLs current
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = demo.bundle(card, opts["nonce"], signing=not opts["login"], auth=not opts["no_auth"])
        text = json.dumps(out, ensure_ascii=False, indent=1)
        if opts["out"]:
            with open(opts["out"], "w", encoding="utf-8") as f:
                f.write(text + "\n")
        else:
            self.stdout.write(text)
        self.stderr.write(
            f"demo card {card.card_id}: {card.resident.name}, {card.resident.address}, "
            f"born {card.resident.date_of_birth:%Y-%m-%d} (made-up resident; demo CA under {demo.directory()})"
        )


def _existing(card_id: str) -> demo.Card | None:
    try:
        return demo.load_card(card_id)
    except FileNotFoundError:
        return None
