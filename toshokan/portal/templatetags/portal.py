"""Template tags shared by the patron pages."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.translation import get_language, gettext

register = template.Library()


@register.simple_tag
def library_name() -> str:
    """The library's name: `TOSHOKAN_LIBRARY_NAME` (a string, or a dict per language code)."""
    configured = getattr(settings, "TOSHOKAN_LIBRARY_NAME", None)
    if isinstance(configured, dict):
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        return str(
            configured.get(language)
            or configured.get(settings.LANGUAGE_CODE)
            or next(iter(configured.values()))
        )
    if configured:
        return str(configured)
    return gettext("としょかん")
