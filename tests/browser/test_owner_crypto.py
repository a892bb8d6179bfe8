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
