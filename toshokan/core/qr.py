"""QR codes as inline SVG, shared by every page that shows one (the digital library card, the My
Number card challenge): no image request, so a page can be kept offline and needs no img-src.

segno's own inline SVG, always a full QR code (never a Micro QR, which phone cameras and many
scanners do not read), with medium error correction for scratched or dim screens.
"""

from __future__ import annotations

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def qr(data: str) -> segno.QRCode:
    return segno.make_qr(data, error="m", boost_error=False)


def qr_svg(data: str, *, label: str, svgclass: str = "card-symbol card-symbol--qr") -> SafeString:
    svg = qr(data).svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass=svgclass)
    # segno writes the opening tag itself; give it a role and a name for screen readers.
    return format_html(
        '<span class="card-symbol-wrap" role="img" aria-label="{}">{}</span>', label, mark_safe(svg)
    )  # segno's own SVG
