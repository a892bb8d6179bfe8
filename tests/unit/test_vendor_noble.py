"""The vendored @noble bundle (web/static/vendor/noble/): the pinned SRI hash is the file's,
the versions agree everywhere, the licences ship beside it, and the script tag carries the pin.

Rebuilding from npm (``scripts/vendor_noble.sh --check``) needs the registry; this test
needs nothing but the files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import jinja2

from web.vendor import NOBLE_PATH, NOBLE_SRI

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "web" / "static"
VENDOR = STATIC / "vendor" / "noble"
BUILD = ROOT / "scripts" / "vendor_noble"


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def test_the_pinned_hash_is_the_files() -> None:
    assert NOBLE_PATH == "vendor/noble/noble.js"
    data = (STATIC / NOBLE_PATH).read_bytes()
    assert _sri(data) == NOBLE_SRI, (
        "web/static/vendor/noble/noble.js changed but web/vendor.py still pins the old hash: "
        "rebuild it with scripts/vendor_noble.sh, never edit it by hand")


def test_versions_agree_and_are_exact() -> None:
    wanted = json.loads((BUILD / "package.json").read_text())["dependencies"]
    lock = json.loads((BUILD / "package-lock.json").read_text())["packages"]
    vendor_md = (VENDOR / "VENDOR.md").read_text()
    header = (STATIC / NOBLE_PATH).read_text(encoding="utf-8").splitlines()[0]
    for name in ("@noble/curves", "@noble/hashes", "esbuild"):
        version = wanted[name]
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned exactly"
        locked = lock[f"node_modules/{name}"]
        assert locked["version"] == version
        assert locked["integrity"].startswith("sha512-")
        assert f"| `{name}`" in vendor_md
        assert f"| {version} | `{locked['integrity']}` |" in vendor_md, name
    assert f"@noble/curves {wanted['@noble/curves']} and @noble/hashes " \
           f"{wanted['@noble/hashes']}" in header


def test_the_licences_ship_beside_the_bundle() -> None:
    for pkg in ("curves", "hashes"):
        text = (VENDOR / f"LICENSE-noble-{pkg}").read_text()
        assert text.startswith("The MIT License") and "Paul Miller" in text
    assert "MIT License (c) 2022 Paul Miller" in (STATIC / NOBLE_PATH).read_text(encoding="utf-8")


def test_the_script_tag_carries_the_pin() -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "web" / "templates"),
                             autoescape=True)
    html = env.get_template("_secret_scripts.html").render(
        url_for=lambda endpoint, filename: f"/static/{filename}",
        noble_path=NOBLE_PATH, noble_sri=NOBLE_SRI)
    tags = re.findall(r"<script[^>]*>", html)
    assert tags == [
        f'<script src="/static/{NOBLE_PATH}" integrity="{NOBLE_SRI}" crossorigin="anonymous">',
        '<script src="/static/js/ovsecret.js">',
    ]
    assert "http" not in html  # never a CDN
