"""QR codes as inline SVG (``qrcode``'s own SVG path renderer) and in the terminal."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(data: str, *, label: str = "") -> Markup:
    """An accessible inline SVG QR code for ``data``."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML declaration: this goes inline in HTML
    title = Markup.escape(label or data)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)
    # A fixed mm size would break small screens; CSS sizes the code instead.
    svg = svg.replace('width="', 'data-w="', 1).replace('height="', 'data-h="', 1)
    return Markup(svg)


def qr_terminal(data: str) -> str:
    """The QR code drawn with half-block characters, for the demo's console."""
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(data)
    qr.make(fit=True)
    buffer = io.StringIO()
    qr.print_ascii(out=buffer, invert=True)
    return buffer.getvalue()
