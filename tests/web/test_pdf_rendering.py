"""The notice and announcement PDFs embed their CJK font, draw its glyphs, and render in time
linear in their text (issue 17 item 5, issue 15 item 6).

Pages are rasterised with poppler's ``pdftoppm`` and fonts listed with ``pdffonts``
(Debian's poppler-utils; ``./dev test`` installs it).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from web import pdf, pdfcache, pdffont

LABELS = {key: key for key in (
    "notice", "announcement", "community", "published", "window", "items", "how", "rules",
    "documents", "scan", "scope", "whole", "buildings", "candidates", "seats", "roster",
    "area", "area_unit", "heads", "participating", "agree", "oppose", "abstain", "total",
    "quorum", "met", "not_met", "passed", "failed", "voters", "objections", "elected", "tie",
    "page")}


@pytest.fixture(scope="module", autouse=True)
def poppler() -> None:
    missing = [tool for tool in ("pdftoppm", "pdffonts") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the PDF tests need poppler's {', '.join(missing)}: run ./dev test, which "
                    "installs Debian's poppler-utils (or apt-get install poppler-utils)",
                    pytrace=False)


def notice(title: str = "业主大会会议通知", description: str = "请业主按时投票。") -> dict:
    return {
        "community": "示例小区", "title": title, "description": description,
        "notice_at": "2026-01-01 09:00", "opens_at": "2026-01-16 09:00",
        "closes_at": "2026-01-23 18:00", "scope": None, "url": "https://vote.example.cn/a/1",
        "items": [{"position": 1, "title": "选聘物业服务企业", "matter_zh": "选聘和解聘物业",
                   "threshold": "普通事项", "buildings": [], "election": False,
                   "description": "", "candidates": [], "seats": None}],
        "online": "在线投票", "paper": "纸质投票", "proxy": "委托投票", "quorum": "法定人数",
        "rules": [("规则", "说明")], "documents": [], "roster_digest": "0" * 64, "cc": "抄送",
    }


def announcement() -> dict:
    figures = {key: {"area": "100.00", "heads": 3, "share": "50%"}
               for key in ("total", "participating", "agree", "oppose", "abstain")}
    return {
        "community": "示例小区", "title": "表决结果公告", "announced_at": "2026-01-24",
        "opens_at": "2026-01-16", "closes_at": "2026-01-23",
        "items": [{"position": 1, "title": "选聘物业服务企业", "passed": True,
                   "matter_zh": "选聘物业", "threshold": "普通事项", "figures": figures,
                   "quorum_met": True, "verdict": "通过", "election": None}],
        "objection_text": "异议期内可提出异议。", "voters": [("1-101", "89.50")],
        "verify_text": "任何人可以下载审计包核对。",
    }


def fonts(data: bytes, tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    rows = []
    for line in out[2:]:  # a header line and a rule
        parts = line.split()
        # name type... encoding emb sub uni object-number generation
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return rows


def dark_pixels(data: bytes, tmp_path: Path, top: float, bottom: float) -> int:
    """Pixels darker than mid-grey in the band [top, bottom) (fractions of the height) of page
    1, rasterised by pdftoppm at 100 dpi as a binary PGM."""
    path = tmp_path / "page.pdf"
    path.write_bytes(data)
    raw = subprocess.run(["pdftoppm", "-r", "100", "-gray", "-f", "1", "-l", "1", str(path)],
                         capture_output=True, check=True).stdout
    # P5 header: magic, width, height, maxval, each followed by one whitespace byte
    fields, rest = raw.split(maxsplit=4)[:4], raw.split(maxsplit=4)[4]
    assert fields[0] == b"P5" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    band = rest[int(top * height) * width:int(bottom * height) * width]
    return sum(1 for value in band if value < 128)


@pytest.mark.parametrize("make, render", [(notice, pdf.notice_pdf),
                                          (announcement, pdf.announcement_pdf)])
def test_the_cjk_font_is_embedded_as_a_subset_and_nothing_else_is_referenced(
        tmp_path, make, render) -> None:
    rows = fonts(render(make(), LABELS), tmp_path)
    assert rows, "the PDF lists no font"
    assert all(row["emb"] == "yes" for row in rows), rows  # no font left to the reader
    assert any("WenQuanYiMicroHei" in row["name"] and row["sub"] == "yes" for row in rows), rows


def test_the_chinese_title_is_drawn(tmp_path) -> None:
    # the same notice with its title (one line of 13 pt near the top) in Chinese and as a
    # lone full stop (the same layout, but no glyph to speak of): the difference in dark
    # pixels of the page's top band is the Chinese glyphs
    drawn = dark_pixels(pdf.notice_pdf(notice(title="业主大会会议表决"), LABELS), tmp_path,
                        0.0, 0.2)
    blank = dark_pixels(pdf.notice_pdf(notice(title="."), LABELS), tmp_path, 0.0, 0.2)
    assert drawn > blank + 300, (drawn, blank)


def test_a_pdf_stays_small(tmp_path) -> None:
    # a subset of a few hundred glyphs, not the 5 MB font
    assert len(pdf.notice_pdf(notice(), LABELS)) < 200_000


def test_free_text_becomes_short_paragraphs_broken_after_sentences() -> None:
    text = "第一句话说完了。" * 100 + "\n\n第二段"
    lines = pdf.chunks(text, limit=100)
    assert "".join(lines) == text.replace("\n", "")
    assert all(len(line) <= 100 for line in lines)
    assert all(line.endswith("。") for line in lines[:-3])
    assert lines[-2:] == ["", "第二段"]
    assert pdf.chunks("无标点" * 100, limit=70)[0] == ("无标点" * 100)[:70]  # a hard break


def test_rendering_time_grows_linearly_with_the_description() -> None:
    def seconds(n: int) -> float:
        text = ("业主大会依法表决，请各位业主按时参加投票。" * (n // 21 + 1))[:n]
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            pdf.notice_pdf(notice(description=text), LABELS)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(5_000), seconds(40_000)
    # 8 times the text: linear is ~8 times the time (less the fixed part); one paragraph of
    # 40,000 characters took 25-40 times as long as one of 5,000
    assert large < 12 * small, (small, large)


def test_the_cache_renders_a_document_once() -> None:
    pdfcache.clear()
    calls = []

    def render() -> bytes:
        calls.append(1)
        return b"%PDF-1.4 x"

    key = pdfcache.digest("notice", notice(), pdf.NOTICE_KEYS, LABELS)
    assert pdfcache.rendered(key, render) == pdfcache.rendered(key, render) == b"%PDF-1.4 x"
    assert len(calls) == 1
    other = pdfcache.digest("notice", notice(title="另一个"), pdf.NOTICE_KEYS, LABELS)
    assert other != key
    english = pdfcache.digest("notice", notice(), pdf.NOTICE_KEYS, {**LABELS, "notice": "N"})
    assert english != key
    pdfcache.clear()


def test_a_missing_font_is_named_with_how_to_install_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(pdffont.ENV, str(tmp_path / "none.ttf"))
    with pytest.raises(pdffont.FontMissing, match="paperang-p2-fonts-cjk"):
        pdffont.font_path()
