"""The digital library card's symbols: the card number as a Code 128 barcode (or NW-7, by setting)
and as a QR code, both as inline SVG so that the page needs no image request and can be kept
offline.

Code 128 (subset C packs two digits into one symbol, and it always carries a check symbol) is
read by the desk scanners and the self-check as well as the NW-7 printed on plastic cards, and is
half as wide for the same number, which matters on a phone held under a scanner. The encoding is
python-barcode's; drawing its modules as rectangles is done here because its SVG writer sizes
everything in millimetres and adds an XML prologue, neither of which suits an inline, scalable
image. The QR code is segno's own inline SVG (toshokan.core.qr, shared with other pages).
"""

from __future__ import annotations

import barcode
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from toshokan.core.qr import qr as qr  # the card's QR code, shared with other pages
from toshokan.core.qr import qr_svg as qr_svg

# White either side of the bars, in modules: ten narrow elements (ISO/IEC 15417 for Code 128;
# python-barcode draws NW-7's narrow elements two modules wide).
QUIET_ZONE = {"code128": 10, "codabar": 20}
BAR_HEIGHT = 60  # modules; a tall symbol is easier to hit with a hand-held scanner


# What the symbol carries for a card number: NW-7 (Codabar) needs start and stop characters,
# which the desk and the self-check drop again (patrons.domain.cards.normalise_card_number).
SYMBOLOGIES = {"code128": "{}", "codabar": "A{}A"}


def symbology() -> str:
    """TOSHOKAN_CARD_BARCODE: "code128" (the default) or "codabar" for scanners set up for NW-7
    only. NW-7 is about 2.7 times as wide for the same number, so it needs a larger screen."""
    name = str(getattr(settings, "TOSHOKAN_CARD_BARCODE", "code128")).lower()
    if name not in SYMBOLOGIES:
        raise ImproperlyConfigured(
            f"TOSHOKAN_CARD_BARCODE must be one of {', '.join(sorted(SYMBOLOGIES))}, not {name!r}"
        )
    return name


def barcode_modules(number: str, kind: str = "code128") -> str:
    """The symbol's modules left to right, '1' for a bar, without quiet zones."""
    return str(barcode.get(kind, SYMBOLOGIES[kind].format(number)).build()[0])


def code128_modules(number: str) -> str:
    return barcode_modules(number, "code128")


def barcode_svg(number: str, *, label: str, kind: str | None = None) -> SafeString:
    kind = kind or symbology()
    modules = barcode_modules(number, kind)
    quiet = QUIET_ZONE[kind]
    width = len(modules) + 2 * quiet
    bars: list[str] = []
    x = 0
    while x < len(modules):
        if modules[x] == "1":
            run = len(modules[x:]) - len(modules[x:].lstrip("1"))
            bars.append(f"M{x + quiet} 0h{run}v{BAR_HEIGHT}h-{run}z")
            x += run
        else:
            x += 1
    return format_html(
        '<svg class="card-symbol card-symbol--barcode" data-symbology="{}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="none" shape-rendering="crispEdges">'
        '<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="{}"/></svg>',
        kind,
        width,
        BAR_HEIGHT,
        label,
        mark_safe("".join(bars)),  # path data built above from numbers only
    )
