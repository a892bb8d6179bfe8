"""Printable PDFs of the notice (通知) and the announcement (公告), with reportlab.

Text is set in the CJK font of :mod:`web.pdffont`, embedded as a subset, so a
PDF prints the same on every reader.  The QR code of the owners' page is drawn
with reportlab's own QR widget as vector graphics.  The functions take plain
data (the same context the HTML pages render) and return the PDF's bytes.

Rendering time grows linearly with the text: reportlab's CJK line breaking
measures every character of a paragraph each time the paragraph is wrapped,
and a paragraph that spans pages is wrapped again for every page, so one long
paragraph costs its length times its pages.  Free text is therefore set as
paragraphs of at most :data:`CHUNK` characters (:func:`paragraphs`), broken
after a sentence where possible.  :mod:`web.pdfcache` keeps the bytes of
each rendered document, renders one at a time per process, and renders in a
thread of its own, so that a long PDF does not hold up the worker's other
requests.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from web import pdffont

FONT = pdffont.register()
#: Free text is set in paragraphs of at most this many characters (see the docstring).
CHUNK = 400
# where a long line may be broken: after a sentence, then after a clause or a space
_SENTENCE_END = re.compile(r"[。！？；.!?;]")
_CLAUSE_END = re.compile(r"[，、,：:\s]")

_BASE = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=15, wordWrap="CJK")
TITLE = ParagraphStyle("title", parent=_BASE, fontSize=18, leading=24, alignment=1,
                       spaceAfter=6)
H2 = ParagraphStyle("h2", parent=_BASE, fontSize=13, leading=18, spaceBefore=8, spaceAfter=3)
BODY = _BASE
SMALL = ParagraphStyle("small", parent=_BASE, fontSize=8.5, leading=11,
                       textColor=colors.HexColor("#444444"))


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def chunks(text: str, limit: int = CHUNK) -> list[str]:
    """``text`` as lines of at most ``limit`` characters: its own lines, long ones broken
    after the last sentence end (else clause end or space, else anywhere) that fits."""
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > limit:
            cut = _last_break(line[:limit])
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def _last_break(head: str) -> int:
    for pattern in (_SENTENCE_END, _CLAUSE_END):
        ends = [m.end() for m in pattern.finditer(head, len(head) // 2)]
        if ends:
            return ends[-1]
    return len(head)


def paragraphs(text: str, style: ParagraphStyle = BODY) -> list[Flowable]:
    """Free text as short paragraphs (linear rendering time); blank lines as space."""
    return [_p(line, style) if line.strip() else Spacer(1, style.leading / 2)
            for line in chunks(text)]


#: The smallest printed QR code, and the printed width of one of its modules: the code grows
#: with its version (a longer URL: more witnesses in its fragment) so that a module stays
#: at least 2 pixels wide on the page printed at 100 dpi, where it decodes.
QR_MIN_SIZE = 34 * mm
QR_MODULE = 0.55 * mm


def qr_drawing(url: str, size: float | None = None) -> Drawing:
    """The QR code of ``url`` (error correction M, a 4-module quiet zone), ``size`` wide, by
    default as wide as its version needs (:data:`QR_MODULE`, at least :data:`QR_MIN_SIZE`)."""
    widget = QrCodeWidget(url, barLevel="M")
    if size is None:
        widget.qr.make()
        modules = widget.qr.getModuleCount() + 2 * widget.barBorder
        size = max(QR_MIN_SIZE, modules * QR_MODULE)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    drawing.initialFontName = FONT  # its state would start in Helvetica, not embedded
    return drawing


# a table sets its cells' font before drawing them, Helvetica (not embedded) by default
_CELL_FONT = [("FONTNAME", (0, 0), (-1, -1), FONT)]


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    cells = [[c if isinstance(c, Paragraph | Drawing) else _p(c, SMALL if header else BODY)
              for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    style = [*_CELL_FONT, ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _render(story: list, title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm, title=title,
                            author="ownervote", creator="ownervote",
                            initialFontName=FONT)  # not Helvetica, a font not embedded
    doc.build(story)
    return buffer.getvalue()


#: What :func:`notice_pdf` and :func:`announcement_pdf` read of their context (the cache
#: key of :mod:`web.pdfcache`): keep in step with the functions.
NOTICE_KEYS = ("community", "title", "description", "notice_at", "opens_at", "closes_at",
               "scope", "url", "items", "online", "paper", "proxy", "quorum", "rules",
               "documents", "roster_digest", "cc", "qr_url", "trust", "secrecy")
ANNOUNCEMENT_KEYS = ("community", "title", "announced_at", "opens_at", "closes_at", "items",
                     "objection_text", "voters", "verify_text", "bundle_url")


def notice_pdf(ctx: Mapping[str, Any], labels: Mapping[str, str]) -> bytes:
    """The notice: items, thresholds, the window, how to vote, the rules and a QR code."""
    story: list = [_p(ctx["community"], H2), _p(labels["notice"], TITLE), _p(ctx["title"], H2)]
    if ctx["description"]:
        story += paragraphs(ctx["description"])
    head = [[_p(f'{labels["published"]}: {ctx["notice_at"]}'),
             _p(f'{labels["window"]}: {ctx["opens_at"]} — {ctx["closes_at"]}'),
             _p(f'{labels["scope"]}: ' + (f'{labels["buildings"]} {"、".join(ctx["scope"])}'
                                         if ctx["scope"] else labels["whole"])),
             _p(ctx["url"], SMALL)]]
    nested = Table([[cell] for cell in head[0]], colWidths=[128 * mm], style=_CELL_FONT)
    qr = qr_drawing(ctx.get("qr_url") or ctx["url"])
    if qr.width <= QR_MIN_SIZE:  # beside the heading
        box = Table([[nested, [qr, _p(labels["scan"], SMALL)]]], colWidths=[132 * mm, 40 * mm])
    else:  # a larger code (many witnesses) below it, the full width of the page if need be
        box = Table([[nested], [[qr, _p(labels["scan"], SMALL)]]], colWidths=[172 * mm])
    box.setStyle(TableStyle([*_CELL_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 4), box, _p(labels["items"], H2)]
    for it in ctx["items"]:
        story.append(_p(f'{it["position"]}. {it["title"]}', BODY))
        lines = [f'{it["matter_zh"]} — {it["threshold"]}']
        if it["buildings"]:
            lines.append(f'{labels["scope"]}: {labels["buildings"]} {"、".join(it["buildings"])}')
        if it["election"]:
            lines.append(f'{labels["candidates"]} ({it["seats"]} {labels["seats"]}): '
                         + "、".join(it["candidates"]))
        story.append(_p("\n".join(lines), SMALL))
        if it["description"]:
            story += paragraphs(it["description"], SMALL)
    story += [_p(labels["how"], H2), _p(ctx["online"]), _p(ctx["paper"]), _p(ctx["proxy"])]
    story += _secrecy(ctx.get("secrecy"), labels)
    story += [_p(labels["rules"], H2), _p(ctx["quorum"])]
    story.append(_table([[name, text] for name, text in ctx["rules"]], [38 * mm, 134 * mm],
                        header=False))
    if ctx["documents"]:
        story.append(_p(labels["documents"], H2))
        story += [_p(f'{d["filename"]}  SHA-256 {d["sha256"]}', SMALL) for d in ctx["documents"]]
    story += [Spacer(1, 6), _p(f'{labels["roster"]}: {ctx["roster_digest"]}', SMALL)]
    story += _trust(ctx.get("trust"), labels)
    story.append(_p(ctx["cc"], SMALL))
    return _render(story, f'{labels["notice"]} {ctx["title"]}')


def _secrecy(secrecy: Mapping[str, Any] | None, labels: Mapping[str, str]) -> list[Flowable]:
    """The ballot secrecy setting; a secret assembly's trustees, threshold and key."""
    if not secrecy:
        return []
    colon = labels.get("colon", ": ")
    out: list[Flowable] = [_p(f'{labels["secrecy"]}{colon}{secrecy["label"]}', H2),
                           _p(secrecy["explain"])]
    if secrecy["secret"]:
        out.append(_p(secrecy["threshold"]))
        out += [_p(f'{labels["trustee"]} {t["index"]}{colon}{t["name"]}  {t["fingerprint"]}',
                   SMALL) for t in secrecy["trustees"]]
        if secrecy["key"]:
            out.append(_p(f'{labels["election_key"]}{colon}{secrecy["key"]}', SMALL))
    return out


def _trust(trust: Mapping[str, Any] | None, labels: Mapping[str, str]) -> list[Flowable]:
    """The trust anchors: the ledger's key, the witnesses' keys and the witness policy."""
    if not trust:
        return []
    colon = labels.get("colon", ": ")
    out: list[Flowable] = [
        _p(labels["trust"], H2),
        _p(f'{labels["log_key"]}{colon}{trust["log_key"]}', SMALL),
        _p(f'{labels["log_key_id"]}{colon}{trust["log_key_id"]}', SMALL)]
    out += [_p(f'{labels["witnesses"]}{colon}{w["name"]} {w["vkey"]}', SMALL)
            for w in trust["witnesses"]]
    out += [_p(trust["policy"], SMALL), _p(trust["explain"], SMALL)]
    return out


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
        rows = [["", labels["area_unit"], labels["heads"], ""]]
        for key in ("total", "participating", "agree", "oppose", "abstain"):
            if key in it["figures"]:
                m = it["figures"][key]
                rows.append([labels[key], m["area"], str(m["heads"]), m.get("share", "")])
        story.append(_table(rows, cols))
        story.append(_p(f'{labels["quorum"]}: '
                        f'{labels["met"] if it["quorum_met"] else labels["not_met"]} · '
                        + it["verdict"], SMALL))
        if it.get("election"):
            erows = [[labels["candidates"], labels["area_unit"], labels["heads"], ""]]
            for c in it["election"]["candidates"]:
                erows.append([c["candidate"], c["agree"]["area"], str(c["agree"]["heads"]),
                              labels["elected"] if c["elected"] else ""])
            story.append(_table(erows, cols))
            if it["election"].get("tie_text"):
                story.append(_p(it["election"]["tie_text"], SMALL))
    if ctx.get("objection_text"):
        story += [_p(labels["objections"], H2), *paragraphs(ctx["objection_text"])]
    story.append(_p(labels["voters"], H2))
    story.append(_voter_table(ctx["voters"], labels))
    story += [Spacer(1, 6), _p(ctx.get("verify_text", ""), SMALL)]
    if ctx.get("bundle_url"):  # a secret assembly's bundle is public: where to get it
        story.append(_p(ctx["bundle_url"], SMALL))
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
