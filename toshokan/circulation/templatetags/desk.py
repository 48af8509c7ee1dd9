"""Template helpers for the staff desk."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from toshokan.catalog.models import Branch

register = template.Library()


@register.filter
def branch_name(branch: Branch | None) -> str:
    """The branch's name in the page's language (Branch.name_en on English pages, when set)."""
    if not isinstance(branch, Branch):  # a page without a desk branch (login, 403)
        return ""
    if not (get_language() or "ja").startswith("ja") and branch.name_en:
        return branch.name_en
    return branch.name
