"""After a load or fault run: is the log whole, and is every acknowledged ballot in it?

:func:`check_run` reads the stored log back and checks, independently of the
server:

* the chain: entry ``i`` says index ``i`` and links to entry ``i - 1``'s hash;
  the Merkle root of all entries equals the head's root (no fork, nothing lost
  in the middle);
* ballots: no (head, ballot number) twice and every head's numbers run 1, 2, …
  without a gap (no head counted twice, no replay);
* every acknowledged ballot (a 201 with a receipt) is in the log at the receipt's
  index with the receipt's entry hash, and the receipt verifies against the
  newest checkpoint with the log key (``ledger.receipts.verify_receipt``);
* every "in doubt, committed" ballot (the answer was lost, a retry said the
  number was taken) is in the log;
* optionally, the exported audit bundle verifies: ``ownervote bundle export`` then
  ``ownervote verify --log-key`` in fresh processes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def check_run(server, prepared, results: list[list], *, bundle_dir: Path | None = None
              ) -> dict[str, Any]:
    from ledger import merkle
    from ledger.entries import entry_hash, parse_entry
    from ledger.errors import LedgerError
    from ledger.kinds import BALLOT
    from ledger.receipts import Receipt, verify_receipt
    from ledger.store import logstore
    from ledger.store.checkpoints import cosigned_note, latest
    from ownervote.db import make_engine, make_session_factory

    settings = server.settings()
    engine = make_engine(settings.database_url)
    problems: list[str] = []
    aid = prepared.assembly_id
    try:
        with make_session_factory(engine)() as session:
            head = logstore.get_head(session, aid)
            entries = list(logstore.iter_entries(session, aid))
            newest = latest(session, aid)
            note = cosigned_note(session, newest)
            size = newest.size
            proofs: dict[int, list[bytes]] = {}
            needed = set()
            for r in results:
                if r[2] == "acknowledged":
                    needed.add(json.loads(r[6])["receipt"]["checkpoint"].split("\n")[1])
            for old in sorted({int(s) for s in needed}):
                proofs[old] = logstore.consistency_proof(session, aid, old, size)
            head_size, head_root = head.size, bytes(head.root)
            from sqlalchemy import func, select

            from ledger.store.models import Checkpoint

            checkpoints = session.scalar(select(func.count()).select_from(Checkpoint)
                                         .where(Checkpoint.assembly_id == aid))
    finally:
        engine.dispose()

    prev = bytes(32)
    hashes: list[bytes] = []
    ballots: dict[tuple[str, int], int] = {}
    for i, data in enumerate(entries):
        e = parse_entry(data, i)
        if e.prev != prev:
            problems.append(f"entry {i}: prev does not link to entry {i - 1}")
        prev = entry_hash(data)
        hashes.append(prev)
        if e.kind == BALLOT:
            key = (e.body["payload"]["head"], e.body["payload"]["seq"])
            if key in ballots:
                problems.append(f"ballot {key} appears twice (entries {ballots[key]} and {i})")
            ballots[key] = i
    chain_ok = not problems and len(entries) == head_size and (
        merkle.root(entries) == head_root)
    if len(entries) != head_size or merkle.root(entries) != head_root:
        problems.append("the entries do not hash to the head's root")
    per_head: dict[str, list[int]] = {}
    for h, s in ballots:
        per_head.setdefault(h, []).append(s)
    for h, seqs in per_head.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            problems.append(f"head {h}: ballot numbers {sorted(seqs)[:10]} have a gap")

    acknowledged = receipts_ok = unacked_in = 0
    missing: list[str] = []
    for head_id, seq, outcome, _status, _ms, _n, body, err in results:
        if outcome == "acknowledged":
            acknowledged += 1
            r = Receipt.from_json(json.loads(body)["receipt"])
            idx = ballots.get((head_id, seq))
            if idx is None or idx != r.index or hashes[idx] != r.entry_hash:
                missing.append(f"acknowledged ballot {head_id}#{seq} (receipt index {r.index})")
                continue
            old = int(r.checkpoint.split("\n")[1])
            try:
                verify_receipt(r, note, proofs[old], prepared.log_vkey)
                receipts_ok += 1
            except LedgerError as exc:
                problems.append(f"receipt of {head_id}#{seq} does not verify: {exc}")
        elif outcome == "committed_unacked":
            if (head_id, seq) in ballots:
                unacked_in += 1
            else:
                missing.append(f"in-doubt ballot {head_id}#{seq} reported committed, not found")
        elif outcome in ("gap", "refused"):
            problems.append(f"{head_id}#{seq}: {outcome}: {str(err)[:160]}")
    problems.extend(missing)

    report: dict[str, Any] = {
        "entries": len(entries), "checkpoint_size": size, "in_ledger": len(ballots),
        "acknowledged": acknowledged, "receipts_verified": receipts_ok,
        "in_doubt_committed": unacked_in, "missing": len(missing), "chain_ok": chain_ok,
        "checkpoints": checkpoints,
    }
    if bundle_dir is not None:
        report.update(verify_bundle(server, prepared, bundle_dir, problems))
    report["problems"] = problems[:50]
    report["ok"] = not problems
    return report


def verify_bundle(server, prepared, bundle_dir: Path, problems: list[str]) -> dict[str, Any]:
    """``ownervote bundle export`` + ``ownervote verify --json --log-key`` in fresh processes."""
    path = bundle_dir / f"assembly-{prepared.assembly_id}.zip"
    exported = server.cli("bundle", "export", "--assembly", str(prepared.assembly_id),
                          "--out", str(path), check=False)
    if exported.returncode != 0:
        problems.append(f"bundle export failed: {exported.stderr[-500:]}")
        return {"bundle_valid": False}
    out = server.cli("verify", str(path), "--json", "--log-key", prepared.log_vkey, check=False)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        problems.append(f"verify printed no report: {out.stderr[-500:]}")
        return {"bundle_valid": False}
    if out.returncode != 0 or not report.get("valid"):
        failed = {c["name"]: c["failures"][:3] for c in report.get("checks", []) if not c["ok"]}
        problems.append(f"the bundle does not verify: {failed or report.get('unreadable')}")
    return {"bundle_valid": bool(report.get("valid")) and out.returncode == 0,
            "bundle_ballots": report.get("ballots"), "bundle_entries": report.get("entries"),
            "heads_voted": report.get("heads_voted")}
