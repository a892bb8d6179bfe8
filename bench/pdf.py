"""Benchmark: render notice PDFs (web.pdf) whose introduction has N characters.

    .venv/bin/python bench/pdf.py [--sizes 1000,20000,100000] [--repeat 2] [--one-paragraph]

Each size is rendered ``--repeat`` times in-process (best wall time reported) with a
notice of one item; the introduction is Chinese prose of N characters without line
breaks, the hardest case for reportlab's CJK line breaking.  ``--one-paragraph``
sets the introduction as one reportlab paragraph, as web.pdf did before it broke
free text into short paragraphs: the time then grows with the square of N.  The
last line is JSON: ``{"seconds": {N: s, ...}, "bytes": {N: size, ...}}``; the target
is a linear growth and well under a second for the largest allowed introduction
(20,000 characters).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web import pdf

LABELS = {key: key for key in (
    "notice", "community", "published", "window", "items", "how", "rules", "documents",
    "scan", "scope", "whole", "buildings", "candidates", "seats", "roster")}
SENTENCE = "业主大会依法表决，请各位业主按时参加投票并核对自己的选票。"


def context(n: int) -> dict:
    return {
        "community": "示例小区", "title": "第二届业主大会第一次会议", "notice_at": "2026-01-01",
        "description": (SENTENCE * (n // len(SENTENCE) + 1))[:n],
        "opens_at": "2026-01-16 09:00", "closes_at": "2026-01-23 18:00", "scope": None,
        "url": "https://vote.example.cn/a/1",
        "items": [{"position": 1, "title": "选聘物业服务企业", "matter_zh": "选聘物业",
                   "threshold": "普通事项", "buildings": [], "election": False,
                   "description": ""}],
        "online": "在线投票", "paper": "纸质投票", "proxy": "委托投票", "quorum": "法定人数",
        "rules": [("规则", "说明")], "documents": [], "roster_digest": "0" * 64, "cc": "抄送",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,100000")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--one-paragraph", action="store_true",
                        help="the layout before: the introduction as one paragraph")
    args = parser.parse_args()
    if args.one_paragraph:
        pdf.paragraphs = lambda text, style=pdf.BODY: [  # type: ignore[assignment]
            pdf.Paragraph(pdf.escape(text), style)]
    pdf.notice_pdf(context(100), LABELS)  # warm up (imports, font tables)
    seconds: dict[int, float] = {}
    sizes: dict[int, int] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            data = pdf.notice_pdf(context(n), LABELS)
            best = min(best, time.perf_counter() - started)
        seconds[n], sizes[n] = round(best, 3), len(data)
        print(f"{n:>8} characters: {best:.3f} s, {len(data)} bytes", flush=True)
    print(json.dumps({"one_paragraph": args.one_paragraph, "seconds": seconds,
                      "bytes": sizes}))


if __name__ == "__main__":
    main()
