"""Participation gauges and result bars as small SVGs (no chart library).

Inputs are exact fractions; only the drawing coordinates are rounded.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from markupsafe import Markup, escape

from web.templating import colon

WIDTH = 320
BAR_HEIGHT = 22


def _pct(part: Fraction) -> str:
    # Fraction has no format spec before Python 3.12: round through Decimal, exactly.
    share = min(max(part, Fraction(0)), Fraction(1)) * 100
    tenths = (Decimal(share.numerator) / Decimal(share.denominator)).quantize(Decimal("0.1"))
    return f"{tenths}".rstrip("0").rstrip(".")


def _x(part: Fraction) -> int:
    return round(min(max(part, Fraction(0)), Fraction(1)) * WIDTH)


def participation_gauge(label: str, part: Fraction, line: Fraction = Fraction(2, 3),
                        line_label: str = "2/3") -> Markup:
    """A horizontal bar filled to ``part`` with a marker at the quorum ``line``."""
    reached = part >= line
    fill = "#1b6e2e" if reached else "#b3261e"
    lx = _x(line)
    text = f"{label}{colon()}{_pct(part)}%"
    return Markup(
        f'<svg class="gauge" viewBox="0 0 {WIDTH} 52" role="img" aria-label="{escape(text)}, '
        f'{escape(line_label)} {escape(_pct(line))}%">'
        f'<text x="0" y="14" font-size="13" fill="#1a1a1a">{escape(text)}</text>'
        f'<rect x="0" y="20" width="{WIDTH}" height="{BAR_HEIGHT}" rx="4" fill="#e4e7eb"/>'
        f'<rect x="0" y="20" width="{_x(part)}" height="{BAR_HEIGHT}" rx="4" fill="{fill}"/>'
        f'<line x1="{lx}" y1="16" x2="{lx}" y2="46" stroke="#1a1a1a" stroke-width="2" '
        'stroke-dasharray="3 2"/>'
        f'<text x="{min(lx + 3, WIDTH - 28)}" y="51" font-size="10" fill="#1a1a1a">'
        f"{escape(line_label)}</text>"
        "</svg>"
    )


def result_bars(label: str, agree: Fraction, oppose: Fraction, abstain: Fraction,
                labels: tuple[str, str, str]) -> Markup:
    """One stacked bar: agree / oppose / abstain shares of the participants."""
    parts = [(agree, "#1b6e2e"), (oppose, "#a11616"), (abstain, "#8a9099")]
    x = 0
    rects = []
    for share, colour in parts:
        w = _x(share)
        if w:
            rects.append(
                f'<rect x="{x}" y="20" width="{w}" height="{BAR_HEIGHT}" fill="{colour}"/>')
        x += w
    desc = ", ".join(f"{name} {_pct(share)}%"
                     for name, (share, _c) in zip(labels, parts, strict=True))
    return Markup(
        f'<svg class="gauge" viewBox="0 0 {WIDTH} 46" role="img" '
        f'aria-label="{escape(label)}{colon()}{escape(desc)}">'
        f'<text x="0" y="14" font-size="13" fill="#1a1a1a">{escape(label)}</text>'
        f'<rect x="0" y="20" width="{WIDTH}" height="{BAR_HEIGHT}" fill="#e4e7eb"/>'
        + "".join(rects)
        + "</svg>"
    )
