"""QR codes drawn by the server as inline SVG: sharp on any phone and on paper, no script needed."""

from __future__ import annotations

import segno
from markupsafe import Markup


def svg(target: str, title: str) -> Markup:
    """A QR code of `target`; `title` is what screen readers announce (segno escapes it)."""
    drawn = segno.make(target, error="m").svg_inline(scale=5, dark="#000", light="#fff", svgclass="qr",
                                                      omitsize=True, title=title)
    return Markup(drawn)
