"""manage.py create_api_token USER [--name NAME] — print a new staff API token (shown only once)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from toshokan.core import tokens


class Command(BaseCommand):
    help = "Make an API token for a staff account and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="api", help="what the token is for (shown in the admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = tokens.user_by_username(options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user {options['username']!r}") from exc
        if not user.is_active:
            raise CommandError(f"user {options['username']!r} is inactive")
        _row, token = tokens.create_api_token(user=user, name=options["name"])
        self.stdout.write(token)
