"""The documentation's links and code references hold.

* every relative link in ``docs/*.md``, ``README.md`` and ``SECURITY.md`` names a file
  that exists, and its ``#anchor`` is a heading of the target (GitHub's heading slugs,
  for ASCII and CJK headings alike);
* every module and name ``docs/law.md`` says a rule is implemented in exists;
* code and documents cite ``docs/law.md`` by a path or link that resolves.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md", ROOT / "SECURITY.md"])

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """Lines outside fenced code blocks, with their numbers."""
    out, fenced = [], False
    for n, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append((n, line))
    return out


def _plain(markdown: str) -> str:
    """A heading's text as GitHub renders it (code spans, links, emphasis unwrapped)."""
    text = INLINE_CODE.sub(lambda m: m.group(2), markdown)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(?<!\w)(\*{1,3}|_{1,3})(\S(?:.*?\S)?)\1(?!\w)", r"\2", text)
    return text


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case; letters, marks, digits, ``_``, ``-`` and
    spaces kept (CJK characters are letters); every other character dropped; spaces become
    hyphens."""
    kept = []
    for ch in _plain(heading).strip().lower():
        category = unicodedata.category(ch)
        if category[0] in "LMN" or category == "Pc" or ch == "-":
            kept.append(ch)
        elif ch == " ":
            kept.append("-")
    return "".join(kept)


def anchors(path: Path) -> set[str]:
    """Every anchor a Markdown file offers: heading slugs (repeats get -1, -2 …) and HTML ids."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = path.read_text(encoding="utf-8")
    for _n, line in _prose_lines(text):
        m = HEADING.match(line)
        if m:
            slug = github_slug(m.group(2))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
        found.update(HTML_ANCHOR.findall(line))
    return found


def links(path: Path) -> list[tuple[int, str]]:
    """Relative link targets of a Markdown file (web addresses left out), with line numbers."""
    out = []
    for n, line in _prose_lines(path.read_text(encoding="utf-8")):
        prose = INLINE_CODE.sub("", line)
        targets = [m.group(1) for m in LINK.finditer(prose)]
        ref = REFERENCE.match(prose)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto: …
                continue
            out.append((n, target))
    return out


def broken(path: Path) -> list[str]:
    problems = []
    for n, target in links(path):
        where = f"{path.relative_to(ROOT)}:{n}: {target}"
        address, _, fragment = target.partition("#")
        address = urllib.parse.unquote(address.split("?")[0])
        fragment = urllib.parse.unquote(fragment)
        goal = (path.parent / address).resolve() if address else path
        if not goal.exists():
            problems.append(f"{where}: no such file")
            continue
        if fragment and goal.suffix == ".md" and fragment not in anchors(goal):
            problems.append(f"{where}: no heading #{fragment} in {goal.relative_to(ROOT)}")
    return problems


def test_github_slugs_of_ascii_and_cjk_headings() -> None:
    assert github_slug("3. Counting area and owners (专有部分面积与业主人数)") == \
        "3-counting-area-and-owners-专有部分面积与业主人数"
    assert github_slug("Start, stop, upgrade") == "start-stop-upgrade"
    assert github_slug("7.2 Changing a vote (`revote`)") == "72-changing-a-vote-revote"
    assert github_slug("ownervote — 业主大会电子投票") == "ownervote--业主大会电子投票"
    assert github_slug("Electing the owners' committee (选举业主委员会)") == \
        "electing-the-owners-committee-选举业主委员会"
    assert github_slug("The **first** administrator") == "the-first-administrator"
    assert github_slug("snake_case_name") == "snake_case_name"


def test_the_checker_finds_a_broken_link_and_a_missing_anchor(tmp_path: Path) -> None:
    global ROOT
    (tmp_path / "a.md").write_text("# Über uns\n\n## 会议程序\n\n## 会议程序\n", encoding="utf-8")
    page = tmp_path / "b.md"
    page.write_text(
        "[ok](a.md#über-uns) [cjk](a.md#会议程序) [again](a.md#会议程序-1) "
        "[web](https://example.com/x#y) `[code](nowhere.md)`\n"
        "[gone](missing.md) [bad](a.md#nope) [self](#top)\n\n```\n[fenced](nowhere.md)\n```\n"
        "# Top\n",
        encoding="utf-8")
    saved, ROOT = ROOT, tmp_path
    try:
        assert broken(page) == ["b.md:2: missing.md: no such file",
                                "b.md:2: a.md#nope: no heading #nope in a.md"]
    finally:
        ROOT = saved


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    assert broken(path) == []


def test_the_documents_link_to_each_other() -> None:
    assert any(links(p) for p in DOCUMENTS)
    assert (ROOT / "docs" / "law.md").exists()


CODE_REFERENCE = re.compile(r"`([\w/]+\.py)`((?:,? `[\w.]+`)*)")


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^\s*(?:def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*[:=]",
                     source, re.M) is not None


def test_every_code_reference_in_law_md_exists() -> None:
    text = (ROOT / "docs" / "law.md").read_text(encoding="utf-8")
    references = CODE_REFERENCE.findall(text)
    assert len(references) > 40
    missing = []
    for module, names in references:
        path = ROOT / module
        if not path.exists():
            missing.append(module)
            continue
        source = path.read_text(encoding="utf-8")
        for name in re.findall(r"`([\w.]+)`", names):
            for part in name.split("."):
                if not _defines(source, part):
                    missing.append(f"{module} {name}")
    assert missing == []


def test_law_md_is_cited_by_a_path_that_resolves() -> None:
    """A bare "law.md" (the file it once meant was not in the project) is not a reference."""
    bare = []
    for path in [*ROOT.glob("*.md"), *ROOT.glob("docs/*.md"),
                 *[p for d in ("voting", "identity", "ledger", "web", "ownervote", "tests")
                   for p in (ROOT / d).rglob("*.py")]]:
        if path.name == "test_docs_links.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if path.suffix == ".md":  # links are checked above: take them out
                line = LINK.sub("", line)
            for m in re.finditer(r"[\w./-]*law\.md", line):
                if not m.group(0).endswith("docs/law.md"):
                    bare.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert bare == []


CODE_PATH = re.compile(r"\b((?:tests|scripts|docs|bench)/[\w./-]+\.(?:py|md|json))\b")


@pytest.mark.parametrize("source", sorted([*ROOT.glob("scripts/*.py"), ROOT / "dev"]),
                         ids=lambda p: p.name)
def test_the_files_a_script_names_exist(source: Path) -> None:
    """A script that says which test or document runs or explains it names a real file."""
    missing = sorted({m for m in CODE_PATH.findall(source.read_text(encoding="utf-8"))
                      if not (ROOT / m).exists()})
    assert missing == [], f"{source.relative_to(ROOT)} names missing files: {missing}"
