"""The CJK font embedded in every PDF: WenQuanYi Micro Hei (文泉驿微米黑), a subset per PDF.

The notice and the announcement must print the same on any reader, so the font
is embedded (only the glyphs a PDF uses: a few tens of kilobytes) rather than
referenced by name, as the Adobe CID font ``STSong-Light`` used to be (readers
without Adobe's Asian font pack substituted another font or showed nothing).

reportlab embeds TrueType-outline (``glyf``) fonts only, not the CFF outlines of
Noto Sans CJK / Source Han Sans (Debian's ``fonts-noto-cjk``), so the font is
WenQuanYi Micro Hei, a TrueType collection that covers GB 18030's common
characters, Latin and the punctuation the PDFs use.  It is licensed under the
Apache License 2.0 (or GPLv3 with a font embedding exception).  It comes from
the file named by ``OWNERVOTE_PDF_FONT`` if that is set (any TrueType-outline
CJK font), otherwise from:

1. the PyPI package ``paperang-p2-fonts-cjk`` (a dependency of ownervote, so
   ``pip install`` brings it on every platform), else
2. Debian/Ubuntu's ``fonts-wqy-microhei``
   (``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc``).

The font is loaded once per process, when this module is imported (under a
second), so that no request pays for it.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

#: The name the PDFs' styles use for the embedded font.
FONT = "OwnervoteCJK"
PACKAGE = "paperang_p2_fonts_cjk"
DEBIAN_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
ENV = "OWNERVOTE_PDF_FONT"


class FontMissing(RuntimeError):
    """No CJK font to embed was found; the message says how to install one."""


def font_candidates() -> list[Path]:
    """Where the font is looked for, in order (see the module's docstring)."""
    found: list[Path] = []
    configured = os.environ.get(ENV)
    if configured:
        return [Path(configured)]
    try:
        found.append(Path(str(importlib.resources.files(PACKAGE) / "fonts" /
                              "wqy-microhei.ttc")))
    except ModuleNotFoundError:
        pass
    found.append(DEBIAN_PATH)
    return found


def font_path() -> Path:
    """The first font file of :func:`font_candidates` that exists."""
    candidates = font_candidates()
    for path in candidates:
        if path.is_file():
            return path
    raise FontMissing("no CJK font to embed in PDFs: looked for "
                      + ", ".join(str(p) for p in candidates)
                      + f"; install the Python package paperang-p2-fonts-cjk (pip), Debian's "
                        f"fonts-wqy-microhei, or set {ENV} to a TrueType-outline CJK font")


def register() -> str:
    """Register the font with reportlab (once) and return its name."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    path = font_path()
    try:
        font = TTFont(FONT, str(path), subfontIndex=0)
    except TTFError as exc:  # e.g. a CFF-outline OpenType font given in OWNERVOTE_PDF_FONT
        raise FontMissing(f"{path} cannot be embedded by reportlab: {exc}") from None
    pdfmetrics.registerFont(font)
    return FONT
