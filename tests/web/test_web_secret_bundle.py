"""A secret assembly's audit bundle is public once voting has closed (docs/roles.md): anyone
downloads it, it verifies, and it holds no head's choice in clear; an open assembly's
bundle is refused to anonymous readers as before; the announcement links the bundle only
for a secret assembly; anonymous downloads are recorded without anything about the reader
and rate-limited per address."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from ledger import canonical
from tests.support.secret_world import CANDIDATES, counted_secret_assembly
from tests.support.worlds import ROLES, sign_in_as


@pytest.fixture
def secret(world, session, ov_settings):
    return counted_secret_assembly(session, ov_settings, world.a.community_id)


def _bundle(aid: int) -> str:
    return f"/audit/assemblies/{aid}/bundle.zip"


def test_anyone_downloads_a_secret_assemblys_bundle_and_it_verifies(app, client, secret,
                                                                    tmp_path) -> None:
    from ledger.verifier import verify_bundle
    from ownervote.audit import AuditEvent

    r = client.get(_bundle(secret.assembly_id))  # signed out
    assert r.status_code == 200 and r.mimetype == "application/zip"
    path = tmp_path / "secret.zip"
    path.write_bytes(r.data)
    report = verify_bundle(path, log_key=secret.log_vkey, workers=1)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["secret_tally"]["trustees_combined"] == [1, 2]
    with app.app_context():
        from web.database import db

        events = db().scalars(select(AuditEvent).where(
            AuditEvent.action == "bundle.download")).all()
    assert [(e.actor, e.subject) for e in events] == [
        ("anonymous", f"assembly:{secret.assembly_id}")]
    assert set(events[0].detail) == {"size"}  # nothing about the reader


def test_every_role_downloads_it_and_an_open_bundle_stays_restricted(app, world,
                                                                     secret) -> None:
    """Every role, other communities' too, gets the secret bundle; the open assembly of
    the same community keeps today's rule (tests/web/test_web_access_matrix.py)."""
    wrong = []
    for role in ROLES:
        client = app.test_client()
        sign_in_as(client, app, world.principal(role))
        status = client.get(_bundle(secret.assembly_id)).status_code
        if status != 200:
            wrong.append(f"{role}: {status}")
    anonymous = app.test_client()
    assert anonymous.get(_bundle(world.a.assembly_id)).status_code == 401
    other = app.test_client()
    sign_in_as(other, app, world.principal("committee_b"))
    assert other.get(_bundle(world.a.assembly_id)).status_code == 404
    assert wrong == []


def test_while_voting_is_open_a_secret_bundle_is_not_public(app, client, world, session,
                                                            secret) -> None:
    """Before the close the bundle would show live who has voted: it is given as an open
    assembly's (the status is set here directly: the rule reads only it)."""
    from voting.store.models import Assembly

    a = session.get(Assembly, secret.assembly_id)
    a.status = "open"
    session.commit()
    assert client.get(_bundle(secret.assembly_id)).status_code == 401
    member = app.test_client()
    sign_in_as(member, app, world.principal("committee_b"))
    assert member.get(_bundle(secret.assembly_id)).status_code == 404
    reader = app.test_client()
    sign_in_as(reader, app, world.principal("supervisor_a"))
    assert reader.get(_bundle(secret.assembly_id)).status_code == 200
    page = client.get(f"/audit/assemblies/{secret.assembly_id}").get_data(as_text=True)
    assert "下载审计数据包</a>" not in page
    # the void form warns that its reason will be public
    committee = app.test_client()
    sign_in_as(committee, app, world.principal("committee_a"))
    ballots = committee.get(f"/committee/a/{secret.assembly_id}/ballots").get_data(as_text=True)
    assert 'id="void-reason-secret"' in ballots
    opened = committee.get(f"/committee/a/{world.a.assembly_id}/ballots").get_data(as_text=True)
    assert 'id="void-reason-secret"' not in opened


def test_the_secret_bundle_holds_no_choice_in_clear(client, secret) -> None:
    """Every ballot and paper ballot is encrypted (no ``choices``); the result holds only
    totals; no head is named outside the ballots' own entries and the roster."""
    data = zipfile.ZipFile(io.BytesIO(client.get(_bundle(secret.assembly_id)).data))
    entries = [json.loads(line) for line in data.read("entries.jsonl").splitlines()]
    kinds = [e["kind"] for e in entries]
    assert kinds.count("ballot") == 4 and kinds.count("paper_ballot") == 1
    for e in entries:
        if e["kind"] in ("ballot", "paper_ballot"):
            payload = e["body"]["payload"]
            assert "encrypted" in payload and "choices" not in payload, e["index"]
    # no choice word outside the result (whose totals are named "agree", "oppose" …)
    text = b"".join(canonical.encode(e) for e in entries if e["kind"] != "result.published")
    for word in ("agree", "oppose", "abstain", "invalid"):
        assert canonical.encode(word) not in text, word
    result = data.read("result.json").decode()
    assert not any(head in result for head in secret.heads)
    for candidate in CANDIDATES:  # candidates are named by the result, with their totals
        assert candidate in result


def test_the_announcement_links_the_bundle_only_for_a_secret_assembly(client, world,
                                                                      secret) -> None:
    link = _bundle(secret.assembly_id)
    page = client.get(f"/a/{secret.assembly_id}/announcement").get_data(as_text=True)
    assert link in page and "任何人都可以从下面的地址下载审计数据包" in page
    # who decrypted: both trustees of the world's 2-of-2 ceremony, by number and name
    assert "计票总数由监票人 1 trustee 1、2 trustee 2 解密（2 名监票人中任意 2 名即可解密" in page
    opened = client.get(f"/a/{world.a.assembly_id}/announcement").get_data(as_text=True)
    assert "bundle.zip" not in opened and "任何人" not in opened
    assert "本小区业主（登录后）" in opened
    english = client.get(f"/a/{secret.assembly_id}/announcement?lang=en").get_data(
        as_text=True)
    assert "Anyone can download the audit bundle" in english
    assert "decrypted by trustees 1 trustee 1, 2 trustee 2 (any 2 of the 2" in english
    pdf = client.get(f"/a/{secret.assembly_id}/announcement.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_the_auditor_pages_say_anyone_may_download_it(client, world, secret) -> None:
    record = client.get(f"/audit/assemblies/{secret.assembly_id}").get_data(as_text=True)
    assert "任何人无需登录即可下载" in record and "下载审计数据包</a>" in record
    steps = client.get(f"/audit/assemblies/{secret.assembly_id}/verify").get_data(as_text=True)
    assert "任何人都可以下载" in steps and _bundle(secret.assembly_id) in steps
    opened = client.get(f"/audit/assemblies/{world.a.assembly_id}").get_data(as_text=True)
    assert "任何人无需登录即可下载" not in opened and "下载审计数据包</a>" not in opened
    access = client.get("/audit/access").get_data(as_text=True)
    assert "无记名投票的大会：审计数据包公开" in access


def test_anonymous_downloads_are_rate_limited(ov_settings, world, session, secret) -> None:
    from web import create_app
    from web.auditor.bundles import PUBLIC_LIMIT

    per_minute = int(PUBLIC_LIMIT.split()[0])
    app = create_app(ov_settings, TESTING=True)
    try:
        client = app.test_client()
        codes = [client.get(_bundle(secret.assembly_id)).status_code
                 for _ in range(per_minute + 1)]
        assert codes[:per_minute] == [200] * per_minute and codes[-1] == 429, codes
        auditor = app.test_client()  # signed-in readers are not counted
        sign_in_as(auditor, app, world.principal("auditor"))
        assert auditor.get(_bundle(secret.assembly_id)).status_code == 200
    finally:
        app.extensions["ownervote.engine"].dispose()


def test_the_start_and_record_pages_mark_only_the_secret_assembly(client, world,
                                                                  secret) -> None:
    home = client.get("/").get_data(as_text=True)
    assert home.count('data-secrecy="secret"') == 1
    card = home.split(f'href="/a/{secret.assembly_id}"')[1].split("</article>")[0]
    assert 'data-secrecy="secret"' in card and "无记名投票" in card
    record = client.get(f"/a/{secret.assembly_id}").get_data(as_text=True)
    assert 'data-secrecy="secret"' in record.split("</h1>")[1].split("</p>")[0]
    opened = client.get(f"/a/{world.a.assembly_id}").get_data(as_text=True)
    assert 'data-secrecy="secret"' not in opened
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Secret ballot" in english
