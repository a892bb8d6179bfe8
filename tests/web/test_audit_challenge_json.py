"""POST /audit/challenge.json: the server's check of a challenged secret ballot
(docs/secret-ballots.md §9.3, §11.5), the same as the auditor page's in the browser."""

from __future__ import annotations

import copy

from ledger.secret.audit import fingerprint, reveal_to_json
from ledger.secret.ballot import ItemShape, encrypt_ballot
from ledger.secret.elgamal import keygen

ORIGIN = "ownervote.test/assembly/7"
NAMES = ["张伟", "李娜", "王芳"]
ITEMS = [{"key": "1", "kind": "motion"},
         {"key": "2", "kind": "election", "seats": 2, "candidates": NAMES}]
LAYOUT = {"1": ItemShape("motion"), "2": ItemShape("election", candidates=3, seats=2)}


def challenged(choices: dict, shown: dict) -> dict:
    key = keygen()
    ballot, randomness = encrypt_ballot(key.public, ORIGIN, "H-3-1201", 4, LAYOUT, choices)
    encrypted = ballot.to_json()
    return {"v": 1, "assembly": 7, "origin": ORIGIN, "head": "H-3-1201", "seq": 4,
            "key": key.public.hex(), "items": ITEMS, "choices": shown,
            "fingerprint": fingerprint(encrypted), "encrypted": encrypted,
            "reveal": reveal_to_json(randomness)}


def test_a_challenged_ballot_opens_to_its_choices(client) -> None:
    data = challenged({"1": "oppose", "2": [0, 2]}, {"1": "oppose", "2": ["王芳", "张伟"]})
    r = client.post("/audit/challenge.json", json=data)
    assert r.status_code == 200
    assert r.get_json() == {"ok": True, "choices": {"1": "oppose", "2": ["张伟", "王芳"]}}


def test_other_choices_than_shown_wrong_randomness_and_a_moved_proof_are_named(client) -> None:
    lying = challenged({"1": "agree", "2": [1]}, {"1": "oppose", "2": ["李娜"]})
    got = client.post("/audit/challenge.json", json=lying).get_json()
    assert got["ok"] is False and got["mismatch"]["item"] == "1"
    assert got["choices"] == {"1": "agree", "2": ["李娜"]}  # what it really holds

    data = challenged({"1": "agree", "2": []}, {"1": "agree", "2": []})
    swapped = copy.deepcopy(data)
    swapped["reveal"]["1"].reverse()
    got = client.post("/audit/challenge.json", json=swapped).get_json()
    assert got["ok"] is False and got["mismatch"]["where"] == "encrypted.1.options[0].a"

    moved = copy.deepcopy(data)
    moved["seq"] = 5
    got = client.post("/audit/challenge.json", json=moved).get_json()
    assert got == {"ok": False, "refused": {"code": "bad_option_proof",
                                             "where": "encrypted.1.options[0].proof",
                                             "item": "1", "option": 0, "proof": "option"}}


def test_text_that_is_no_challenged_ballot_is_a_400(client) -> None:
    data = challenged({"1": "agree", "2": [1]}, {"1": "agree", "2": ["李娜"]})
    for broken, field in ((dict(data, v=2), "v = 1"), (dict(data, key="00" * 32), "key"),
                          (dict(data, items=[]), "items"), (dict(data, seq=-1), "seq"),
                          (dict(data, choices={"2": ["赵六"]}), "choices.2")):
        r = client.post("/audit/challenge.json", json=broken)
        assert r.status_code == 400, broken
        assert field in r.get_json()["message"], r.get_json()
