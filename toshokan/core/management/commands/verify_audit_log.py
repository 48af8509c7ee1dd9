"""manage.py verify_audit_log [--from SEQ:HASH] [--expect SEQ:HASH ...] — check the audit log's hash
chain (docs/audit.md).

Exits with status 1 and names each broken place when a row was altered or removed behind the
application (with the database's triggers disabled, or by editing the database file). Prints the
last seq and hash, which an operator can keep outside the database: `--expect SEQ:HASH` checks
that the chain still passes through it (a chain rewritten from an earlier row onwards does not).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from toshokan.core import audit
from toshokan.core.domain.audit import GENESIS

ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "Check that no audit log row was altered or removed (the hash chain)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="start",
            default="",
            metavar="SEQ:HASH",
            help="after older rows were archived: the first seq kept and the hash of the last archived row",
        )
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="a seq and hash printed by an earlier run and kept outside the database (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start_seq, start_hash = 1, GENESIS
        if options["start"]:
            match = ANCHOR.match(options["start"].strip())
            if match is None:
                raise CommandError("--from takes SEQ:HASH, e.g. 1001:3fa8… (64 hex digits)")
            start_seq, start_hash = int(match[1]), match[2]
        anchors = []
        for value in options["expect"]:
            match = ANCHOR.match(value.strip())
            if match is None:
                raise CommandError("--expect takes SEQ:HASH, e.g. 1001:3fa8… (64 hex digits)")
            anchors.append((int(match[1]), match[2]))
        result = audit.verify(start_seq=start_seq, start_hash=start_hash)
        problems = [f"seq {b.seq}: {b.problem}" for b in result.breaks]
        for seq, digest in anchors:
            if audit.hash_at(seq) != digest:
                problems.append(
                    f"seq {seq}: not the hash recorded earlier: the chain was rewritten from here or before"
                )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"audit log chain broken in {len(problems)} place(s)", returncode=1)
        self.stdout.write(
            f"audit log intact: {result.count} event(s), last seq {result.last_seq}, hash {result.last_hash}"
        )
