"""manage.py verify_audit_log [--from SEQ:HASH] — check the audit log's hash chain (docs/audit.md).

Exits with status 1 and names each broken place when a row was altered or removed behind the
application (with the database's triggers disabled, or by editing the database file). Prints the
last seq and hash, which an operator can keep outside the database: a later run with nothing
before that point changed must still pass through the same hash.
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

    def handle(self, *args: Any, **options: Any) -> None:
        start_seq, start_hash = 1, GENESIS
        if options["start"]:
            match = ANCHOR.match(options["start"].strip())
            if match is None:
                raise CommandError("--from takes SEQ:HASH, e.g. 1001:3fa8… (64 hex digits)")
            start_seq, start_hash = int(match[1]), match[2]
        result = audit.verify(start_seq=start_seq, start_hash=start_hash)
        for problem in result.breaks:
            self.stderr.write(f"seq {problem.seq}: {problem.problem}")
        if not result.intact:
            raise CommandError(f"audit log chain broken in {len(result.breaks)} place(s)", returncode=1)
        self.stdout.write(
            f"audit log intact: {result.count} event(s), last seq {result.last_seq}, hash {result.last_hash}"
        )
