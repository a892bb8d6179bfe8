"""Chinese text is punctuated full-width: no ASCII ". , : ; ? !" right after a Chinese
character (a number may stand between, as in "议题 1: ") in any Chinese translation.

Pages are checked the same way in Chromium (``tests.support.page_checks``
``assert_full_width_punctuation``), which also catches text put together in templates.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGS = Path(__file__).resolve().parents[2] / "web" / "translations" / "zh_Hans_CN"
CJK = "\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60"
ASCII_AFTER_CJK = re.compile(rf"[{CJK}][\d ]{{0,4}}[.,:;?!](?=\s|$|[{CJK}])")


def ascii_after_cjk(text: str) -> list[str]:
    return [text[max(0, m.start() - 10):m.end() + 6] for m in ASCII_AFTER_CJK.finditer(text)]


def test_the_pattern_finds_what_it_should() -> None:
    assert ascii_after_cjk("…其他管理人. 一般事项…") == ["…其他管理人. 一般事项…"]
    assert ascii_after_cjk("发送到 138****8000. 10分钟内有效") == []  # a number, not Chinese
    assert ascii_after_cjk("议题 1: 选举") == ["议题 1: 选举"]
    assert ascii_after_cjk("面积 81.50 平方米，旧文件.zip。") == []


def test_chinese_translations_use_full_width_punctuation() -> None:
    found = []
    for path in sorted(CATALOGS.glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh):
                strings = message.string if isinstance(message.string, tuple) else (
                    message.string,)
                for text in strings:
                    found += [f"{path.name}: {hit!r}" for hit in ascii_after_cjk(text or "")]
    assert found == [], found
