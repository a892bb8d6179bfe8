"""The page's own proof checks (ovcrypto.js) agree with the ledger's Python implementation.

Proofs, checkpoints and signed notes are made in Python (``ledger.merkle``,
``ledger.note``); the browser must accept every genuine one and refuse every
altered one.
"""

from __future__ import annotations

import random

from ledger import merkle
from ledger.keys import generate
from ledger.note import Checkpoint, sign_checkpoint
from ledger.receipts import tracker_code


def _page_with_ovcrypto(demo, page):
    page.goto(demo.url + "/a/2/verify")  # loads ovcrypto.js and makes no request of its own
    page.wait_for_function("window.ovcrypto && window.ovcrypto.verifyConsistency")
    return page


VERIFY_JS = """async (cases) => { const oc = window.ovcrypto; const out = [];
  for (const c of cases) {
    const h = (x) => oc.fromHex(x);
    if (c.kind === "inclusion") out.push(await oc.verifyInclusion(h(c.leaf), c.index, c.size,
        c.proof.map(h), h(c.root)));
    else out.push(await oc.verifyConsistency(c.old, c.size, h(c.oldRoot), h(c.root),
        c.proof.map(h)));
  } return out; }"""


def _flip(hex_text: str) -> str:
    return ("1" if hex_text[0] == "0" else "0") + hex_text[1:]


def test_inclusion_and_consistency_proofs_agree_with_python(demo, desktop) -> None:
    page = _page_with_ovcrypto(demo, desktop)
    rng = random.Random(9162)
    entries = [rng.randbytes(rng.randint(1, 40)) for _ in range(70)]
    good, bad = [], []
    for size in (1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 64, 70):
        tree = entries[:size]
        root = merkle.root(tree).hex()
        for index in {0, size // 2, size - 1}:
            proof = [p.hex() for p in merkle.inclusion_proof(tree, index)]
            case = {"kind": "inclusion", "leaf": merkle.leaf_hash(tree[index]).hex(),
                    "index": index, "size": size, "proof": proof, "root": root}
            good.append(case)
            bad.append({**case, "root": _flip(root)})
            bad.append({**case, "index": (index + 1) % size} if size > 1 else
                       {**case, "leaf": _flip(case["leaf"])})
            if proof:
                bad.append({**case, "proof": [_flip(proof[0]), *proof[1:]]})
        for old in {1, size // 2 or 1, size - 1 or 1, size}:
            proof = [p.hex() for p in merkle.consistency_proof(tree, old)]
            case = {"kind": "consistency", "old": old, "size": size, "proof": proof,
                    "oldRoot": merkle.root(tree[:old]).hex(), "root": root}
            good.append(case)
            bad.append({**case, "oldRoot": _flip(case["oldRoot"])})
            if proof:
                bad.append({**case, "proof": proof[:-1]})
    assert page.evaluate(VERIFY_JS, good) == [True] * len(good)
    assert page.evaluate(VERIFY_JS, bad) == [False] * len(bad)


def test_signed_checkpoints_and_tracker_codes(demo, desktop) -> None:
    page = _page_with_ovcrypto(demo, desktop)
    signer, other = generate("ownervote.test/log"), generate("ownervote.test/log")
    note = sign_checkpoint(Checkpoint("ownervote.test/c/assembly/1", 12, bytes(range(32))),
                           signer).serialize()
    leaf = merkle.leaf_hash(b"an entry")
    result = page.evaluate("""async ([note, vkey, other, leaf]) => { const oc = window.ovcrypto;
        const n = oc.parseNote(note); const cp = oc.parseCheckpoint(n.text);
        const forged = {text: n.text.replace("\\n12\\n", "\\n13\\n"), signatures: n.signatures};
        return [await oc.verifyNote(n, vkey), await oc.verifyNote(n, other),
                await oc.verifyNote(forged, vkey), cp.size, oc.toHex(cp.root), cp.origin,
                oc.trackerCode(oc.fromHex(leaf))]; }""",
        [note, signer.verifier.vkey, other.verifier.vkey, leaf.hex()])
    assert result == [True, False, False, 12, bytes(range(32)).hex(),
                      "ownervote.test/c/assembly/1", tracker_code(leaf)]


def test_the_page_signs_low_s_only(demo, desktop) -> None:
    """WebCrypto returns (r, s) with s above n/2 about half the time; the ledger refuses
    those (malleable), so ovcrypto.signMessage must normalise s to n - s."""
    from ledger.ballots import P256_HALF_ORDER, load_voter_key, verify_p256_message

    page = _page_with_ovcrypto(demo, desktop)
    spki_hex, signatures = page.evaluate("""async (count) => { const oc = window.ovcrypto;
        const pair = await crypto.subtle.generateKey({name: "ECDSA", namedCurve: "P-256"},
                                                     false, ["sign", "verify"]);
        const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
        const out = [];
        for (let i = 0; i < count; i++) {
          out.push(oc.toHex(await oc.signMessage({privateKey: pair.privateKey},
                                                 oc.utf8("message " + i))));
        }
        return [oc.toHex(spki), out]; }""", 48)
    key = load_voter_key(bytes.fromhex(spki_hex))
    for i, sig in enumerate(signatures):
        raw = bytes.fromhex(sig)
        assert int.from_bytes(raw[32:], "big") <= P256_HALF_ORDER, i
        verify_p256_message(key, f"message {i}".encode(), raw)


COSIGNED_JS = """async ([note, keys]) => window.ovnotice.cosignedBy(window.ovcrypto.parseNote(note),
                                                               keys)"""


def test_cosignatures_of_the_notices_witnesses_agree_with_python(demo, desktop) -> None:
    """notice-key.js counts a witness only for a valid cosignature/v1 by its key."""
    from ledger.note import ALG_COSIGNATURE_V1, Note, cosign

    page = _page_with_ovcrypto(demo, desktop)
    page.wait_for_function("window.ovnotice && window.ovnotice.cosignedBy")
    log = generate("vote.example/log")
    w1 = generate("street-office.example/witness", ALG_COSIGNATURE_V1)
    w2 = generate("district.example/witness", ALG_COSIGNATURE_V1)
    stranger = generate("street-office.example/witness", ALG_COSIGNATURE_V1)  # same name
    note = sign_checkpoint(Checkpoint("vote.example/a/1", 5, bytes(32)), log)
    text = note.text
    lines = (cosign(text, w1, 1_772_400_000), cosign(text, stranger, 1_772_400_001))
    cosigned = Note(text, (*note.signatures, *lines)).serialize()
    keys = [w1.verifier.vkey, w2.verifier.vkey]
    assert page.evaluate(COSIGNED_JS, [cosigned, keys]) == [w1.verifier.name]
    assert page.evaluate(COSIGNED_JS, [note.serialize(), keys]) == []
    # a cosignature over another checkpoint, or with its time changed, does not count
    other = cosign(text.replace("\n5\n", "\n6\n"), w1, 1_772_400_000)
    moved = type(lines[0])(lines[0].name, lines[0].key_id,
                           (1_772_400_001).to_bytes(8, "big") + lines[0].signature[8:])
    for line in (other, moved):
        forged = Note(text, (*note.signatures, line)).serialize()
        assert page.evaluate(COSIGNED_JS, [forged, keys]) == []
    # the log's own key is no witness key
    assert page.evaluate(COSIGNED_JS, [cosigned, [log.verifier.vkey]]) == []
