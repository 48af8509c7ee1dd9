"""{% passkeys_section %}: the passkey section of the patron's account page (マイライブラリ)."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib import messages

from toshokan.passkeys import selectors

register = template.Library()


@register.inclusion_tag("passkeys/_account_section.html", takes_context=True)
def passkeys_section(context: template.Context) -> dict[str, Any]:
    """The logged-in patron's passkeys, and the answers of the last add, rename or remove (the
    messages tagged "passkeys": the account page reads the others)."""
    request = context["request"]
    patron = context["patron"]
    outcomes = [
        {"ok": m.level < messages.ERROR, "text": m.message}
        for m in messages.get_messages(request)
        if m.extra_tags == "passkeys"
    ]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "passkeys": list(selectors.passkeys_of(patron=patron)),
        "ask_pin": bool(patron.pin_hash),
        "outcomes": outcomes,
    }
