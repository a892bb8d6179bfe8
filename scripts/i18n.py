"""Translation catalog helper.

    python scripts/i18n.py missing    list msgids used in web/ without a Chinese translation
    python scripts/i18n.py stub AREA  append those msgids (empty) to
                                      translations/zh_Hans_CN/AREA.po
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
CATALOG_DIR = WEB / "translations" / "zh_Hans_CN"
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2),
            "_l": None}


def used_msgids() -> dict[str, str]:
    """msgid -> first place it is used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB), METHOD_MAP, keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def translated() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(CATALOG_DIR.glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.string:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    text = message.string
                    out[key] = text if isinstance(text, str) else text[0]
    return out


def missing() -> dict[str, str]:
    have = translated()
    return {msgid: where for msgid, where in used_msgids().items() if msgid not in have}


def _po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main(argv: list[str]) -> int:
    if argv[:1] == ["missing"]:
        gaps = missing()
        for msgid, where in sorted(gaps.items(), key=lambda kv: kv[1]):
            print(f"{where}: {msgid}")
        return 1 if gaps else 0
    if len(argv) == 2 and argv[0] == "stub":
        path = CATALOG_DIR / f"{argv[1]}.po"
        gaps = missing()
        with path.open("a", encoding="utf-8") as fh:
            if path.stat().st_size == 0:
                fh.write('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n')
            for msgid, where in sorted(gaps.items(), key=lambda kv: kv[1]):
                fh.write(f"#: {where}\nmsgid {_po_quote(msgid)}\nmsgstr \"\"\n\n")
        print(f"added {len(gaps)} msgids to {path}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
