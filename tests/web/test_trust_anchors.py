"""The trust anchors where owners look (issue 14 items 1, 3 and 4), on the demo loaded with
its witness (the street office, in this process):

* the notice page, the notice PDF and its QR code carry the log key, the witness's key and
  the witness policy (1 of 1), the QR code in the URL's fragment, and it decodes from the
  page printed at 100 dpi (with up to five witnesses too: the code grows with its version);
* the committee's dashboard names the witnesses whose cosignature the newest checkpoint
  still lacks, until the witness cosigns;
* the bundle of the demo's closed assembly fails ``ownervote verify`` before the witness
  cosigned and passes after, with the policy; without ``--log-key`` the verdict says the
  key was not pinned and what to compare it with.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
from html import unescape

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select, update

from ledger.store.models import Checkpoint
from ownervote.cli import main
from ownervote.services import bundles, demo_secret
from ownervote.services.demo import STAFF, load
from ownervote.services.trust_anchors import trust_anchors
from tests.support.committee_console import csrf
from tests.support.totp import fresh_code
from tests.support.trust import STREET_OFFICE, InProcessWitness, cosign_all
from voting.store.models import Assembly


@pytest.fixture
def demo(session, ov_settings, tmp_path):
    from web import create_app

    witness = InProcessWitness(tmp_path / "witness", ov_settings)
    accounts = load(session, witness.settings)
    session.commit()
    app = create_app(witness.settings, TESTING=True, RATELIMIT_ENABLED=False)
    yield witness, accounts, app
    app.extensions["ownervote.engine"].dispose()


def _assembly(session, status: str) -> int:
    """The demo's open-ballot assembly in ``status`` (a secret one is announced, another
    open, too)."""
    return session.scalars(select(Assembly.id).where(
        Assembly.status == status,
        Assembly.title.not_in((demo_secret.TITLE, demo_secret.VOTING_TITLE)))).one()


def _qr_texts(pdf_bytes: bytes, tmp_path, dpi: int) -> list[str]:
    import zxingcpp
    from PIL import Image

    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", "1", "-l", "1",
                    str(path), str(tmp_path / "page")], check=True)
    (page,) = tmp_path.glob("page*.png")
    # QR codes only: with every format on, zxing now and then reads a few characters of
    # the printed (random) keys as a 1-D barcode (seen: "D31C")
    return [found.text for found in zxingcpp.read_barcodes(
        Image.open(page), formats=zxingcpp.BarcodeFormat.QRCode)]


def test_the_notice_page_and_pdf_carry_the_trust_anchors(demo, session, tmp_path) -> None:
    _witness, _accounts, app = demo
    client = app.test_client()
    aid = _assembly(session, "open")
    anchors = trust_anchors(session, aid)
    session.commit()
    assert anchors is not None and anchors.quorum == 1
    assert [w.name for w in anchors.witnesses] == [STREET_OFFICE]
    scan_url = anchors.url(f"http://ownervote.test/a/{aid}")
    assert "#log-key=" in scan_url and "&quorum=1&witness=" in scan_url

    html = client.get(f"/a/{aid}/notice").get_data(as_text=True)
    assert anchors.log_key in html and anchors.witnesses[0].vkey in html
    assert "账本公钥与见证人" in html and "上列 1 个见证人中，至少 1 个须" in html
    assert f'href="{scan_url}"' in unescape(html)  # the on-screen QR code leads there too
    english = client.get(f"/a/{aid}/notice?lang=en").get_data(as_text=True)
    assert "At least 1 of these 1 witnesses must cosign" in english

    data = client.get(f"/a/{aid}/notice.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    flat = "".join(text.split())
    assert anchors.log_key in flat and anchors.witnesses[0].vkey in flat
    assert "账本公钥" in text and "密钥编号：" + anchors.log_key_id in flat
    # the QR code decodes from the page printed at 100 dpi
    assert _qr_texts(data, tmp_path, 100) == [scan_url]


@pytest.mark.parametrize("witnesses", [0, 1, 3, 5])
def test_the_pdf_qr_code_decodes_at_100_dpi_with_none_to_five_witnesses(witnesses: int,
                                                                          tmp_path) -> None:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.lib.units import inch

    from ledger.keys import generate
    from ledger.note import ALG_COSIGNATURE_V1
    from ledger.trustanchors import TrustAnchors
    from ledger.witnesspolicy import WitnessPolicy
    from web import pdf

    keys = tuple(generate(f"w{n}.street-office.example/witness", ALG_COSIGNATURE_V1).verifier
                 for n in range(witnesses))
    anchors = TrustAnchors(generate("vote.example.cn/log").verifier.vkey,
                           WitnessPolicy(keys, min(3, len(keys))) if keys else None)
    url = anchors.url("https://vote.example.cn/a/12")
    ctx = {"community": "示例小区", "title": "通知", "description": "", "notice_at": "",
           "opens_at": "", "closes_at": "", "scope": None, "url": url.split("#")[0],
           "qr_url": url, "items": [], "online": "", "paper": "", "proxy": "", "quorum": "",
           "rules": [("规则", "说明")], "documents": [], "roster_digest": "", "cc": "",
           "trust": {"log_key": anchors.log_key, "log_key_id": anchors.log_key_id,
                     "witnesses": [{"name": w.name, "vkey": w.vkey} for w in keys],
                     "policy": "", "explain": ""}}
    labels = {key: key for key in ("notice", "published", "window", "scope", "buildings",
                                   "whole", "scan", "items", "how", "rules", "roster",
                                   "trust", "log_key", "log_key_id", "witnesses")}
    data = pdf.notice_pdf(ctx, labels)
    assert _qr_texts(data, tmp_path, 100) == [url]
    # a module of the code is at least 2 pixels at 100 dpi, however long the URL
    code = QrCodeWidget(url, barLevel="M").qr
    code.make()
    assert pdf.qr_drawing(url).width / (code.getModuleCount() + 8) >= 2 / 100 * inch


def test_the_dashboard_names_the_missing_cosignatures(demo, session, engine) -> None:
    witness, accounts, app = demo
    client = app.test_client()
    aid = _assembly(session, "open")
    session.commit()
    (username, password) = next((u, p) for role, u, p in STAFF if role == "committee")
    secret = next(a.totp_secret for a in accounts if a.username == username)
    csrf(client)
    r = client.post("/staff/sign-in", data={"username": username, "password": password,
                                            "code": fresh_code(secret)})
    assert r.status_code == 302, r.get_data(as_text=True)

    # just signed: the witness is being asked, so not (yet) shown as an error
    session.execute(update(Checkpoint).values(created_at=dt.datetime.now(dt.UTC)))
    session.commit()
    page = client.get(f"/committee/a/{aid}/dashboard").get_data(as_text=True)
    assert f"最新检查点尚缺 1 个见证签名（{STREET_OFFICE}）" in page
    assert '<p class="flash" role="status" id="witness-gap">' in page
    session.execute(update(Checkpoint).values(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)))
    session.commit()
    page = client.get(f"/committee/a/{aid}/dashboard").get_data(as_text=True)
    assert '<p class="flash flash-error" role="status" id="witness-gap">' in page
    page = client.get(f"/committee/a/{aid}/dashboard?lang=en").get_data(as_text=True)
    assert ("The newest checkpoint still lacks 1 witness cosignature(s) "
            f"({STREET_OFFICE}).") in page

    assert all(o.cosigned for o in cosign_all(engine, witness))
    page = client.get(f"/committee/a/{aid}/dashboard").get_data(as_text=True)
    assert "最新检查点尚缺" not in page and 'id="witness-gap"' not in page


def test_the_demo_bundle_verifies_with_its_witness_policy(demo, session, engine,
                                                           tmp_path) -> None:
    witness, _accounts, _app = demo
    aid = _assembly(session, "announced")
    log_key = trust_anchors(session, aid).log_key
    runner = CliRunner()

    before = tmp_path / "before.zip"
    bundles.export(session, witness.settings, aid, before)
    session.commit()
    r = runner.invoke(main, ["verify", str(before), "--workers", "1"])
    assert r.exit_code == 1, r.output
    assert "FAIL witness policy" in r.output and "requires 1 of 1" in r.output
    assert r.output.strip().endswith("INVALID")

    assert [o.cosigned for o in cosign_all(engine, witness)] == [True] * 4
    after = tmp_path / "after.zip"
    bundles.export(session, witness.settings, aid, after)
    session.commit()
    r = runner.invoke(main, ["verify", str(after), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines()[-1] == (
        f"VALID (log key not pinned: compare {log_key} with the notice)")
    report = json.loads(runner.invoke(main, ["verify", str(after), "--workers", "1",
                                             "--json"]).output)
    assert report["valid"] and report["log_key_pinned"] is False
    assert report["witness_policy"]["quorum"] == 1
    assert report["policy_cosigners"] == [STREET_OFFICE]

    r = runner.invoke(main, ["verify", str(after), "--workers", "1", "--log-key", log_key])
    assert r.exit_code == 0 and r.output.strip().splitlines()[-1] == "VALID", r.output
    report = json.loads(runner.invoke(main, ["verify", str(after), "--workers", "1", "--json",
                                             "--log-key", log_key]).output)
    assert report["valid"] and report["log_key_pinned"] is True
