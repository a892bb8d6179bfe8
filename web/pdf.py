"""Printable PDFs of the notice (通知) and the announcement (公告), with reportlab.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe's
Asian font pack is referenced, not embedded, so no font file is needed; every
PDF reader ships it).  The QR code of the owners' page is drawn with
reportlab's own QR widget as vector graphics.  The functions take plain data
(the same context the HTML pages render) and return the PDF's bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BASE = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=15, wordWrap="CJK")
TITLE = ParagraphStyle("title", parent=_BASE, fontSize=18, leading=24, alignment=1,
                       spaceAfter=6)
H2 = ParagraphStyle("h2", parent=_BASE, fontSize=13, leading=18, spaceBefore=8, spaceAfter=3)
BODY = _BASE
SMALL = ParagraphStyle("small", parent=_BASE, fontSize=8.5, leading=11,
                       textColor=colors.HexColor("#444444"))


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def qr_drawing(url: str, size: float = 34 * mm) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    cells = [[c if isinstance(c, Paragraph | Drawing) else _p(c, SMALL if header else BODY)
              for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _render(story: list, title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm, title=title,
                            author="ownervote", creator="ownervote")
    doc.build(story)
    return buffer.getvalue()


def notice_pdf(ctx: Mapping[str, Any], labels: Mapping[str, str]) -> bytes:
    """The notice: items, thresholds, the window, how to vote, the rules and a QR code."""
    story: list = [_p(ctx["community"], H2), _p(labels["notice"], TITLE), _p(ctx["title"], H2)]
    if ctx["description"]:
        story.append(_p(ctx["description"]))
    head = [[_p(f'{labels["published"]}: {ctx["notice_at"]}'),
             _p(f'{labels["window"]}: {ctx["opens_at"]} — {ctx["closes_at"]}'),
             _p(f'{labels["scope"]}: ' + (f'{labels["buildings"]} {"、".join(ctx["scope"])}'
                                         if ctx["scope"] else labels["whole"])),
             _p(ctx["url"], SMALL)]]
    nested = Table([[cell] for cell in head[0]], colWidths=[128 * mm])
    box = Table([[nested, [qr_drawing(ctx["url"]), _p(labels["scan"], SMALL)]]],
                colWidths=[132 * mm, 40 * mm])
    box.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 4), box, _p(labels["items"], H2)]
    for it in ctx["items"]:
        story.append(_p(f'{it["position"]}. {it["title"]}', BODY))
        lines = [f'{it["matter_zh"]} — {it["threshold"]}']
        if it["buildings"]:
            lines.append(f'{labels["scope"]}: {labels["buildings"]} {"、".join(it["buildings"])}')
        if it["election"]:
            lines.append(f'{labels["candidates"]} ({it["seats"]} {labels["seats"]}): '
                         + "、".join(it["candidates"]))
        if it["description"]:
            lines.append(it["description"])
        story.append(_p("\n".join(lines), SMALL))
    story += [_p(labels["how"], H2), _p(ctx["online"]), _p(ctx["paper"]), _p(ctx["proxy"]),
              _p(labels["rules"], H2), _p(ctx["quorum"])]
    story.append(_table([[name, text] for name, text in ctx["rules"]], [38 * mm, 134 * mm],
                        header=False))
    if ctx["documents"]:
        story.append(_p(labels["documents"], H2))
        story += [_p(f'{d["filename"]}  SHA-256 {d["sha256"]}', SMALL) for d in ctx["documents"]]
    story += [Spacer(1, 6), _p(f'{labels["roster"]}: {ctx["roster_digest"]}', SMALL),
              _p(ctx["cc"], SMALL)]
    return _render(story, f'{labels["notice"]} {ctx["title"]}')


def _measure(m: Mapping[str, Any]) -> str:
    return f'{m["area"]} m² / {m["heads"]}'


def announcement_pdf(ctx: Mapping[str, Any], labels: Mapping[str, str]) -> bytes:
    """The announcement: per item both dimensions, the outcome, and who voted (no names)."""
    story: list = [_p(ctx["community"], H2), _p(labels["announcement"], TITLE),
                   _p(ctx["title"], H2), _p(f'{labels["published"]}: {ctx["announced_at"]}'),
                   _p(f'{labels["window"]}: {ctx["opens_at"]} — {ctx["closes_at"]}')]
    cols = [40 * mm, 44 * mm, 44 * mm, 44 * mm]
    for it in ctx["items"]:
        story.append(_p(f'{it["position"]}. {it["title"]} — '
                        f'{labels["passed"] if it["passed"] else labels["failed"]}', H2))
        story.append(_p(f'{it["matter_zh"]} — {it["threshold"]}', SMALL))
        rows = [["", labels["area"] + " (m²)", labels["heads"], ""]]
        for key in ("total", "participating", "agree", "oppose", "abstain"):
            if key in it["figures"]:
                m = it["figures"][key]
                rows.append([labels[key], m["area"], str(m["heads"]), m.get("share", "")])
        story.append(_table(rows, cols))
        story.append(_p(f'{labels["quorum"]}: '
                        f'{labels["met"] if it["quorum_met"] else labels["not_met"]} · '
                        + it["verdict"], SMALL))
        if it.get("election"):
            erows = [[labels["candidates"], labels["area"] + " (m²)", labels["heads"], ""]]
            for c in it["election"]["candidates"]:
                erows.append([c["candidate"], c["agree"]["area"], str(c["agree"]["heads"]),
                              labels["elected"] if c["elected"] else ""])
            story.append(_table(erows, cols))
            if it["election"].get("tie_text"):
                story.append(_p(it["election"]["tie_text"], SMALL))
    if ctx.get("objection_text"):
        story += [_p(labels["objections"], H2), _p(ctx["objection_text"])]
    story.append(_p(labels["voters"], H2))
    story.append(_voter_table(ctx["voters"], labels))
    story += [Spacer(1, 6), _p(ctx.get("verify_text", ""), SMALL)]
    return _render(story, f'{labels["announcement"]} {ctx["title"]}')


def _voter_table(voters: Iterable[tuple[str, Any]], labels: Mapping[str, str]) -> Table:
    pairs = [(unit, f"{area}") for unit, area in voters]
    per_row = 4
    rows = []
    for start in range(0, len(pairs), per_row):
        chunk = pairs[start:start + per_row]
        row: list[str] = []
        for unit, area in chunk:
            row += [unit, area]
        row += ["", ""] * (per_row - len(chunk))
        rows.append(row)
    if not rows:
        rows = [["—"] + [""] * (2 * per_row - 1)]
    return _table(rows, [24 * mm, 19 * mm] * per_row, header=False)
