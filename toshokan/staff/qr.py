"""The enrolment QR code as inline SVG, drawn as the digital card's is (toshokan/portal/card.py:
segno's own SVG; the portal sits above this app, so the few lines are here rather than imported)."""

from __future__ import annotations

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, label: str) -> SafeString:
    svg = segno.make_qr(data, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="staff-qr"
    )
    return format_html(
        '<span class="staff-qr-wrap" role="img" aria-label="{}">{}</span>', label, mark_safe(svg)
    )
