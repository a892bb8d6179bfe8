"""Benchmark building a secret ballot in Chromium on a phone screen (``browser_encrypt_ms``).

    .venv/bin/python bench/secret_browser.py            # about ten seconds
    .venv/bin/python bench/secret_browser.py --runs 21

A 9-item ballot (7 motions, two elections of 7 candidates for 3 seats: 37 encryptions and
46 proofs) is built by web/static/js/ovsecret.js on the vendored @noble in Debian's
Chromium (``OWNERVOTE_CHROMIUM``, default /usr/bin/chromium) at 390×844, headless.  The
page is served by a small local server with the application's CSP and the real
``_secret_scripts.html`` partial (SRI-pinned bundle); each run prepares a fresh context (a
new head and seq, the key's table kept as on a real page) and encrypts.  Figures: the
median of the runs after the first (``browser_encrypt_ms``), the first run (which builds
the election key's table), and the median time to verify the ballot in the browser.  One
ballot of every run is also verified by the server's ``ledger.secret.ballot.verify_ballot``.

:func:`measure` is what bench/secret.py may call; the last line printed here is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jinja2  # noqa: E402

from ledger.secret.ballot import ItemShape, verify_ballot  # noqa: E402
from ledger.secret.elgamal import keygen  # noqa: E402
from web.security import CSP  # noqa: E402
from web.vendor import NOBLE_PATH, NOBLE_SRI  # noqa: E402

STATIC = ROOT / "web" / "static"
CHROMIUM = os.environ.get("OWNERVOTE_CHROMIUM", "/usr/bin/chromium")
ORIGIN = "ownervote.example/assembly/bench-browser"
LAYOUT: dict[str, dict[str, Any]] = {
    **{str(i): {"kind": "motion"} for i in range(1, 8)},
    **{str(i): {"kind": "election", "candidates": 7, "seats": 3, "paper": False}
       for i in (8, 9)},
}
CHOICES: dict[str, Any] = {**{str(i): ("agree", "oppose", "abstain")[i % 3] for i in range(1, 8)},
                           "8": [0, 3, 6], "9": [2]}

RUN_JS = """([hk, layout, choices, origin, runs]) => { const os = window.ovsecret;
  const times = []; let last, p;
  for (let n = 0; n < runs; n++) {
    const t0 = performance.now();
    p = os.prepare(hk, {origin, head: "head-" + n, seq: n + 1, layout});
    last = os.encryptBallot(p, choices);
    times.push(performance.now() - t0);
  }
  const checks = [];
  for (let n = 0; n < 5; n++) {
    const t0 = performance.now();
    if (!os.verifyBallot(p, last.encrypted).ok) throw new Error("the ballot does not verify");
    checks.push(performance.now() - t0);
  }
  return {times, checks, encrypted: last.encrypted, head: "head-" + (runs - 1), seq: runs}; }"""


def _page() -> bytes:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "web" / "templates"),
                             autoescape=True)
    scripts = env.get_template("_secret_scripts.html").render(
        url_for=lambda endpoint, filename: f"/static/{filename}",
        noble_path=NOBLE_PATH, noble_sri=NOBLE_SRI)
    return ("<!doctype html><html><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width'><title>bench</title></head>"
            f"<body><p>secret ballot benchmark</p>{scripts}</body></html>").encode()


class _Handler(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        if self.path == "/":
            body, kind = self.page, "text/html; charset=utf-8"
        else:
            path = (STATIC / self.path.removeprefix("/static/")).resolve()
            if not self.path.startswith("/static/") or STATIC not in path.parents \
                    or not path.is_file():
                self.send_error(404)
                return
            body, kind = path.read_bytes(), "text/javascript; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def measure(runs: int = 9) -> dict[str, float]:
    """``browser_encrypt_ms`` (median of ``runs - 1`` warm runs), the first run, and
    ``browser_verify_ms``; raises if a ballot does not verify on either side."""
    from playwright.sync_api import sync_playwright

    _Handler.page = _page()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key = keygen()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            try:
                context = browser.new_context(viewport={"width": 390, "height": 844},
                                              device_scale_factor=2, is_mobile=True,
                                              has_touch=True)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
                page.wait_for_function("typeof window.ovsecret === 'object'")
                out = page.evaluate(RUN_JS, [key.public.hex(), LAYOUT, CHOICES, ORIGIN, runs])
                if errors:
                    raise RuntimeError(f"page errors: {errors}")
            finally:
                browser.close()
    finally:
        server.shutdown()
    layout = {k: ItemShape(v["kind"], v.get("candidates", 0), v.get("seats", 0),
                           v.get("paper", False)) for k, v in LAYOUT.items()}
    verify_ballot(key.public, ORIGIN, out["head"], out["seq"], layout, out["encrypted"])
    return {"browser_encrypt_ms": round(statistics.median(out["times"][1:]), 1),
            "browser_encrypt_first_ms": round(out["times"][0], 1),
            "browser_verify_ms": round(statistics.median(out["checks"]), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="ballots built (≥ 2)")
    args = parser.parse_args()
    figures = measure(max(2, args.runs))
    print(f"9-item ballot in Chromium at 390x844: {figures['browser_encrypt_ms']} ms "
          f"(median; first {figures['browser_encrypt_first_ms']} ms), verified in "
          f"{figures['browser_verify_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
