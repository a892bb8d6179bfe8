"""Public records and the auditor's tools: bundles, checkpoints, cosignatures, receipts,
supervisors' district page, administrators' staff and witness pages."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
from sqlalchemy import select

from ledger import merkle
from ledger.keys import generate
from ledger.note import ALG_COSIGNATURE_V1, Verifier, cosign, open_checkpoint, parse_note
from tests.support.page_checks import INLINE_SCRIPT, STYLE_ATTR
from tests.support.totp import fresh_code
from tests.support.worlds import DISTRICT_A, sign_in_as


def _html(response) -> str:
    html = response.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html) and not STYLE_ATTR.search(html)
    return html


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)


def _log_vkey(app, assembly_id: int) -> str:
    from ledger.store.models import LogHead
    from web.database import db

    with app.app_context():
        return db().get(LogHead, assembly_id).log_vkey


def _witness(app, client_admin, name: str = "jingcheng.example/w1"):
    signer = generate(name, ALG_COSIGNATURE_V1)
    token = _csrf(client_admin, "/admin/witnesses")
    r = client_admin.post("/admin/witnesses", data={"csrf_token": token,
                                                    "vkey": signer.verifier.vkey})
    assert r.status_code == 302
    return signer


def _checkpoint_text(client, assembly_id: int, size: int) -> str:
    r = client.get(f"/audit/assemblies/{assembly_id}/checkpoints/{size}/note")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    return parse_note(r.get_data(as_text=True)).text


# -- the bundle -----------------------------------------------------------------------------

def test_auditor_downloads_a_bundle_that_verifies_and_is_cached(app, world, ov_settings,
                                                                tmp_path) -> None:
    from ledger.verifier import verify_bundle
    from ownervote.audit import AuditEvent

    client = app.test_client()
    sign_in_as(client, app, world.principal("auditor"))
    aid = world.a.assembly_id
    r = client.get(f"/audit/assemblies/{aid}/bundle.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert f"ownervote-assembly-{aid}-size-{world.a.checkpoint_size}.zip" in \
        r.headers["Content-Disposition"]
    assert "no-store" in r.headers["Cache-Control"]
    path = tmp_path / "bundle.zip"
    path.write_bytes(r.data)
    report = verify_bundle(path, log_key=_log_vkey(app, aid), workers=1)
    assert report.valid, report.checks
    from ownervote import __version__

    assert report.info["producer"] == {"name": "ownervote", "version": __version__}
    cached = list((ov_settings.instance_dir / "bundles" / f"assembly-{aid}").glob("*.zip"))
    assert len(cached) == 1 and cached[0].read_bytes() == r.data
    assert client.get(f"/audit/assemblies/{aid}/bundle.zip").data == r.data
    with app.app_context():
        from web.database import db

        downloads = db().scalars(select(AuditEvent).where(
            AuditEvent.action == "bundle.download")).all()
    assert [(e.actor, e.subject) for e in downloads] == \
        [(f"staff:{world.staff['auditor']}", f"assembly:{aid}")] * 2


def test_a_new_cosignature_makes_a_new_bundle(app, world, ov_settings, tmp_path) -> None:
    from ledger.verifier import verify_bundle

    admin = app.test_client()
    sign_in_as(admin, app, world.principal("admin"))
    aid, size = world.a.assembly_id, world.a.checkpoint_size
    first = admin.get(f"/audit/assemblies/{aid}/bundle.zip").data
    signer = _witness(app, admin)
    line = cosign(_checkpoint_text(admin, aid, size), signer, int(time.time())).line()
    r = admin.post(f"/audit/assemblies/{aid}/checkpoints/{size}/cosignatures", data=line,
                   content_type="text/plain")
    assert r.status_code == 201 and r.get_json()["witness"] == signer.name
    second = admin.get(f"/audit/assemblies/{aid}/bundle.zip").data
    assert second != first
    folder = ov_settings.instance_dir / "bundles" / f"assembly-{aid}"
    from ownervote import __version__

    assert [p.name for p in folder.glob("*.zip")] == [
        f"size{size}-cp3-cs1-ownervote{__version__}.zip"]
    path = tmp_path / "b.zip"
    path.write_bytes(second)
    report = verify_bundle(path, log_key=_log_vkey(app, aid), workers=1)
    assert report.valid and report.info["witnesses"] == [signer.name]


def test_the_access_page_explains_who_gets_the_bundle(client, world) -> None:
    html = _html(client.get("/audit/access"))
    for who in ("本小区业主", "业主委员会", "街道办事处", "审计人员", "平台管理员"):
        assert who in html
    page = _html(client.get(f"/audit/assemblies/{world.a.assembly_id}"))
    assert "下载审计数据包</a>" not in page and "/audit/access" in page


# -- checkpoints and cosignatures ----------------------------------------------------------

def test_checkpoint_page_shows_notes_verbatim_and_cosigners(app, client, world) -> None:
    aid, size = world.a.assembly_id, world.a.checkpoint_size
    admin = app.test_client()
    sign_in_as(admin, app, world.principal("admin"))
    signer = _witness(app, admin)
    stamp = 1_780_000_000
    line = cosign(_checkpoint_text(client, aid, size), signer, stamp).line()
    token = _csrf(client, f"/audit/assemblies/{aid}/checkpoints")
    r = client.post(f"/audit/assemblies/{aid}/cosign",
                    data={"csrf_token": token, "size": str(size), "cosignature": line})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#cp-{size}")
    html = _html(client.get(f"/audit/assemblies/{aid}/checkpoints"))
    assert f"已记录 {signer.name} 的联署签名" in html
    note = client.get(f"/audit/assemblies/{aid}/checkpoints/{size}/note").get_data(as_text=True)
    assert note.endswith(line)
    assert note in unescape(html)  # the note, verbatim, with the cosignature line
    assert signer.verifier.key_id.hex() in html
    assert "2026-05-29 04:26:40" in html  # the witness's own time, in China time
    cp, _ = open_checkpoint(note, Verifier.parse(_log_vkey(app, aid)))
    assert cp.size == size


@pytest.mark.parametrize("case", ["unregistered", "other_checkpoint", "garbage", "twice"])
def test_bad_cosignatures_are_refused(app, client, world, case) -> None:
    from ledger.store.models import Cosignature
    from web.database import db

    aid, size = world.a.assembly_id, world.a.checkpoint_size
    admin = app.test_client()
    sign_in_as(admin, app, world.principal("admin"))
    registered = _witness(app, admin)
    text = _checkpoint_text(client, aid, size)
    line = {
        "unregistered": lambda: cosign(text, generate("someone/else", ALG_COSIGNATURE_V1),
                                       1).line(),
        "other_checkpoint": lambda: cosign(_checkpoint_text(client, aid, 1), registered,
                                           1).line(),
        "garbage": lambda: "— jingcheng.example/w1 AAAA\n",
        "twice": lambda: cosign(text, registered, 1).line(),
    }[case]()
    url = f"/audit/assemblies/{aid}/checkpoints/{size}/cosignatures"
    if case == "twice":
        assert client.post(url, data=line, content_type="text/plain").status_code == 201
    r = client.post(url, data=line, content_type="text/plain")
    assert r.status_code == 422 and r.get_json()["error"] == "refused"
    with app.app_context():
        assert len(db().scalars(select(Cosignature)).all()) == (1 if case == "twice" else 0)


def test_oversized_or_binary_cosignature_bodies_are_refused(client, world) -> None:
    url = f"/audit/assemblies/{world.a.assembly_id}/checkpoints/{world.a.checkpoint_size}" \
          "/cosignatures"
    assert client.post(url, data="— x " + "A" * 5000, content_type="text/plain").status_code \
        == 413
    assert client.post(url, data=b"\xff\xfe", content_type="text/plain").status_code == 422


def test_the_cosign_form_needs_its_csrf_token(client, world) -> None:
    r = client.post(f"/audit/assemblies/{world.a.assembly_id}/cosign",
                    data={"size": "1", "cosignature": "x"})
    assert r.status_code == 400


def test_consistency_proof_for_witnesses(client, world, app) -> None:
    aid, size = world.a.assembly_id, world.a.checkpoint_size
    log = Verifier.parse(_log_vkey(app, aid))
    old, _ = open_checkpoint(client.get(f"/audit/assemblies/{aid}/checkpoints/1/note")
                             .get_data(as_text=True), log)
    new, _ = open_checkpoint(client.get(f"/audit/assemblies/{aid}/checkpoints/latest/note")
                             .get_data(as_text=True), log)
    r = client.get(f"/audit/assemblies/{aid}/consistency?from=1&to={size}")
    proof = [bytes.fromhex(h) for h in r.get_data(as_text=True).split()]
    merkle.verify_consistency(1, size, old.root, new.root, proof)
    assert new.size == size
    # only between signed sizes; nonsense is refused
    assert client.get(f"/audit/assemblies/{aid}/consistency?from=2&to={size}").status_code \
        == 404
    assert client.get(f"/audit/assemblies/{aid}/consistency?from=x&to=1").status_code == 400
    assert client.get(f"/audit/assemblies/{aid}/consistency?from={size}&to=1").status_code \
        == 400


# -- receipts ---------------------------------------------------------------------------------

def test_receipt_lookup_finds_a_ballot_without_showing_choices(client, world) -> None:
    aid = world.a.assembly_id
    typed = world.a.tracker.lower().replace("-", " ")
    r = client.get(f"/audit/assemblies/{aid}/receipts", query_string={"tracker": typed})
    html = _html(r)
    assert r.status_code == 200 and "这张选票已记入日志" in html
    assert f"已包含在共 {world.a.checkpoint_size} 条的签名检查点中" in html
    assert "本页不显示这张选票是否仍然有效" in html  # nor whether a later one replaced it
    assert world.a.tracker in re.sub(r"<[^>]+>", "", html)  # shown in groups of four
    for choice in ("agree", "oppose", "同意", "反对"):
        assert choice not in html


def test_receipt_lookup_misses_and_malformed_codes(client, world) -> None:
    aid, bid = world.a.assembly_id, world.b.assembly_id
    html = _html(client.get(f"/audit/assemblies/{bid}/receipts",
                            query_string={"tracker": world.a.tracker}))
    assert "没有这个回执码对应的选票" in html  # A's receipt is not in B's log
    flipped = ("B" if world.a.tracker[-1] != "B" else "C")
    html = _html(client.get(f"/audit/assemblies/{aid}/receipts",
                            query_string={"tracker": world.a.tracker[:-1] + flipped}))
    assert "没有这个回执码对应的选票" in html
    r = client.get(f"/audit/assemblies/{aid}/receipts", query_string={"tracker": "0000-1111"})
    assert r.status_code == 200 and "回执码共 20 位" in _html(r)


def test_drafts_have_no_public_record(client, world) -> None:
    for path in ("", "/checkpoints", "/verify", "/receipts", "/checkpoints/latest/note"):
        assert client.get(f"/audit/assemblies/{world.a.draft_id}{path}").status_code == 404
    assert f"/audit/assemblies/{world.a.draft_id}\"" not in client.get("/audit/").get_data(
        as_text=True)


def test_verify_page_pins_the_log_key(app, client, world) -> None:
    aid = world.a.assembly_id
    html = unescape(_html(client.get(f"/audit/assemblies/{aid}/verify")))
    vkey = _log_vkey(app, aid)
    assert (f"ownervote verify --log-key '{vkey}' ownervote-assembly-{aid}-size-"
            f"{world.a.checkpoint_size}.zip") in html
    assert "--previous" in html and "VALID" in html
    # the verifier of the release that writes this server's bundles
    from ownervote import __version__

    assert f"pip install 'ownervote=={__version__}'" in html


def test_the_general_verify_page_names_the_version_to_install(client) -> None:
    """/verify says which release to install, as the per-assembly page does, in both
    languages."""
    from ownervote import __version__

    for lang in ("zh", "en"):
        html = unescape(_html(client.get("/verify", query_string={"lang": lang})))
        assert f"pip install 'ownervote=={__version__}'" in html
        assert "pip install ownervote<" not in html
    assert "ownervote verify 会写出" in unescape(_html(client.get("/verify?lang=zh")))


# -- supervisors and administrators ---------------------------------------------------------

def test_district_page_counts_participation_from_the_ledger(app, world) -> None:
    client = app.test_client()
    sign_in_as(client, app, world.principal("supervisor_a"))
    html = _html(client.get(f"/supervisor/districts/{DISTRICT_A}"))
    assert "参与表决：业主 4 人（共 6 人）" in html  # four of six heads cast a ballot
    assert "表决结果" in html and "当选：" in html


def test_admin_creates_an_account_whose_totp_secret_is_shown_once(app, world) -> None:
    admin = app.test_client()
    sign_in_as(admin, app, world.principal("admin"))
    token = _csrf(admin, "/admin/staff/new")
    r = admin.post("/admin/staff/new", data={
        "csrf_token": token, "username": "new-auditor", "password": "a long password",
        "role": "auditor", "community": "", "district": ""})
    html = _html(r)
    assert r.status_code == 200 and "<svg" in html and "只显示这一次" in html
    secret = re.search(r'<p class="secret">([A-Z2-7]+)</p>', html).group(1)
    assert secret not in admin.get("/admin/staff").get_data(as_text=True)

    client = app.test_client()
    token = _csrf(client, "/staff/sign-in")
    r = client.post("/staff/sign-in", data={"csrf_token": token, "username": "new-auditor",
                                            "password": "a long password",
                                            "code": fresh_code(secret)})
    assert r.status_code == 302 and r.headers["Location"] == "/audit/"


@pytest.mark.parametrize("form,field_error", [
    ({"role": "committee", "community": ""}, "业委会成员属于一个小区"),
    ({"role": "supervisor", "district": ""}, "请填写该监督人员负责的街道"),
    ({"role": "auditor", "password": "short"}, "密码至少需要 10 个字符"),
    ({"role": "auditor", "username": "t-admin"}, "该用户名已被使用"),
])
def test_admin_staff_form_explains_mistakes(app, world, form, field_error) -> None:
    admin = app.test_client()
    sign_in_as(admin, app, world.principal("admin"))
    data = {"csrf_token": _csrf(admin, "/admin/staff/new"), "username": "someone",
            "password": "a long password", "community": "", "district": "", **form}
    r = admin.post("/admin/staff/new", data=data)
    assert r.status_code == 200 and field_error in _html(r) and "只显示这一次" not in _html(r)


def test_admin_registers_witnesses_and_refuses_log_keys(app, world) -> None:
    admin = app.test_client()
    sign_in_as(admin, app, world.principal("admin"))
    signer = _witness(app, admin)
    assert signer.verifier.vkey in admin.get("/admin/witnesses").get_data(as_text=True)
    token = _csrf(admin, "/admin/witnesses")
    r = admin.post("/admin/witnesses", data={"csrf_token": token,
                                             "vkey": _log_vkey(app, world.a.assembly_id)})
    assert "这不是见证人公钥" in r.get_data(as_text=True)
    r = admin.post("/admin/witnesses", data={"csrf_token": token, "vkey": "nonsense"})
    assert "这不是见证人公钥" in r.get_data(as_text=True)
    from ledger.store.models import Witness
    from web.database import db

    with app.app_context():
        assert [w.name for w in db().scalars(select(Witness))] == [signer.name]


def test_receipt_lookup_through_the_api_and_the_ledger_agree(app, world) -> None:
    from web.auditor import receipts

    with app.test_request_context():
        from ledger.store.models import LogHead
        from web.database import db

        vkey = db().get(LogHead, world.a.assembly_id).log_vkey
        direct = receipts._from_ledger(world.a.assembly_id, vkey, world.a.tracker)  # noqa: SLF001
        served = receipts.lookup(world.a.assembly_id, vkey, world.a.tracker)
        assert direct is not None and served is not None
        assert (served.index, served.kind, served.checkpoint_size) == (
            direct.index, direct.kind, direct.checkpoint_size)
        assert served.checkpoint_size == world.a.checkpoint_size
        # a forged proof is not accepted: the page would say "not yet in a checkpoint"
        row = receipts.records.latest_checkpoint(world.a.assembly_id)
        assert receipts._checked(  # noqa: SLF001 - the proof check under test
            row.note, vkey, direct.index, b"\0" * 32, []) is None
