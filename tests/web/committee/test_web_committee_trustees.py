"""The committee hands in a secret assembly's trustee documents (both databases): a draft
with secret ballots, the documents uploaded one by one (a forged one refused, naming
it), the ceremony's state as JSON with the trustees' fingerprints, the notice refused in
words until the ceremony is final and then published with it in the ledger."""

from __future__ import annotations

import datetime as dt
import io

from ledger.ballots import key_id
from ledger.kinds import CEREMONY_KINDS
from ledger.secret import trustee_docs as td
from ledger.store import logstore
from ledger.store.publish import assembly_origin
from tests.support.committee_console import NEW_ASSEMBLY, assembly_id, local_input, sign_in
from tests.support.trustees import full_ceremony
from voting.store.models import Assembly

JSON = {"Accept": "application/json"}


def _upload(client, aid: int, data: bytes, headers=None):
    return client.post(f"/committee/a/{aid}/trustee-documents",
                       data={"document": (io.BytesIO(data), "doc.json")},
                       content_type="multipart/form-data", headers=headers or {})


def test_trustee_documents_and_the_notice(client, session, world, ov_settings) -> None:
    sign_in(client, world.members["a1"])
    r = client.post("/committee/new", data={**NEW_ASSEMBLY, "ballot_secrecy": "secret",
                                            "trustees": "2"})
    assert r.status_code == 302, r.get_data(as_text=True)
    aid = assembly_id(r)
    session.rollback()
    a = session.get(Assembly, aid)
    assert a.settings["ballot_secrecy"] == "secret" and a.settings["threshold"] == 2
    ceremony = full_ceremony(assembly_origin(session, a, ov_settings.base_url), 2)
    files = ceremony.files()
    session.rollback()

    status = client.get(f"/committee/a/{aid}/trustee-documents").get_json()
    assert status["phase"] == "announcing" and status["trustees"] == 2
    r = _upload(client, aid, files[0], JSON)
    assert r.status_code == 201 and r.get_json()["trustee"] == 1, r.get_json()
    forged = td.dumps(td.Signed(td.loads(files[1], "f").document, bytes(64)))
    r = _upload(client, aid, forged, JSON)
    assert r.status_code == 422 and r.get_json()["error"] == "bad_trustee_document"
    assert "受托人文件未被接受" in r.get_json()["message"]
    r = _upload(client, aid, b"", JSON)
    assert r.status_code == 400
    for data in files[1:-1]:
        r = _upload(client, aid, data)  # the form: a message on the assembly page
        assert r.status_code == 302
    status = client.get(f"/committee/a/{aid}/trustee-documents").get_json()
    assert status["phase"] == "confirming" and status["missing"]["undecided"] == [2]
    assert [t["index"] for t in status["announced"]] == [1, 2]
    assert all(len(t["fingerprint"]) == 49 for t in status["announced"])

    opens = dt.datetime.now(dt.UTC) + dt.timedelta(days=15, hours=2)
    client.post(f"/committee/a/{aid}/schedule", data={
        "opens_at": local_input(opens), "closes_at": local_input(opens + dt.timedelta(days=7))})
    r = client.post(f"/committee/a/{aid}/notice", follow_redirects=True)
    assert "密钥生成尚未完成" in r.get_data(as_text=True)
    session.rollback()
    assert session.get(Assembly, aid).status == "draft"

    r = _upload(client, aid, files[-1], JSON)
    assert r.get_json()["phase"] == "final"
    r = client.post(f"/committee/a/{aid}/notice", follow_redirects=True)
    session.rollback()
    assert session.get(Assembly, aid).status == "noticed", r.get_data(as_text=True)[-2000:]
    kinds = [logstore.parse_entry(data, i).kind
             for i, data in enumerate(logstore.iter_entries(session, aid))]
    assert kinds[0] == "assembly.published" and set(kinds[1:]) <= set(CEREMONY_KINDS)
    status = client.get(f"/committee/a/{aid}/trustee-documents").get_json()
    assert status["phase"] == "final" and status["key"] == ceremony.key.hex()


def _noticed_secret(client, session, world, ov_settings):
    sign_in(client, world.members["a1"])
    r = client.post("/committee/new", data={**NEW_ASSEMBLY, "ballot_secrecy": "secret",
                                            "trustees": "3", "threshold": "2"})
    aid = assembly_id(r)
    session.rollback()
    ceremony = full_ceremony(assembly_origin(session, session.get(Assembly, aid),
                                             ov_settings.base_url), 3, 2)
    session.rollback()
    for data in ceremony.files():
        assert _upload(client, aid, data, JSON).status_code == 201
    opens = dt.datetime.now(dt.UTC) + dt.timedelta(days=15, hours=2)
    client.post(f"/committee/a/{aid}/schedule", data={
        "opens_at": local_input(opens), "closes_at": local_input(opens + dt.timedelta(days=7))})
    client.post(f"/committee/a/{aid}/notice")
    return aid, ceremony


def test_an_encrypted_paper_ballot_from_the_members_device(app, client, session, world,
                                                           ov_settings) -> None:
    from ledger.secret.ballot import encrypt_ballot
    from ledger.secret.ledgerdocs import layout
    from ledger.store.publish import published
    from tests.support.committee_console import PNG, BrowserKey, set_clock

    aid, ceremony = _noticed_secret(client, session, world, ov_settings)
    set_clock(app, days=15, hours=3)
    client.post(f"/committee/a/{aid}/open")
    key = BrowserKey()
    assert key.enroll(client, aid).get_json()["enrolled"] is True
    session.rollback()
    shapes = layout(published(session, aid)[0].items.values(), paper=True)

    def prepare():
        r = client.post(f"/committee/a/{aid}/paper/prepare", data={
            "building": "1幢", "unit": "102", "official": key_id(key.spki),
            "scan": (io.BytesIO(PNG), "scan.png"), "item_1": "agree"},
            content_type="multipart/form-data")
        prepared = r.get_json()
        assert prepared["ok"] and prepared["election_key"] == ceremony.key.hex(), prepared
        p = prepared["payload"]
        ballot, _ = encrypt_ballot(ceremony.key, p["origin"], p["head"], p["seq"], shapes,
                                   p["choices"])
        p["encrypted"] = ballot.to_json()
        del p["choices"]
        return prepared

    prepared = prepare()
    z = prepared["payload"]["encrypted"]["1"]["options"][0]["proof"]["z"]
    z[0] = ("1" if z[0][0] != "1" else "2") + z[0][1:]
    bad = client.post(f"/committee/a/{aid}/paper/submit", json=key.sign(prepared))
    assert bad.get_json()["ok"] is False and "加密选票未通过校验" in bad.get_json()["error"]
    ok = client.post(f"/committee/a/{aid}/paper/submit", json=key.sign(prepare()))
    assert ok.get_json()["ok"], ok.get_json()
    session.rollback()
    entry = logstore.parse_entry(logstore.entry_bytes(session, aid, ok.get_json()["entry"]),
                                 ok.get_json()["entry"])
    assert entry.kind == "paper_ballot" and "choices" not in entry.body["payload"]
