"""ledger: the append-only, hash-chained, Merkle-proved record of an assembly.

Pure (no database):
  merkle       RFC 6962/9162 tree hash and proofs (the auditors' API)
  treemath     which stored subtrees make a root or a proof; streaming roots
  canonical    canonical JSON (RFC 8785 subset) and strict base64url/hex
  entries      entry kinds, envelope, entry hash, body shapes
  ballots      signed payloads: ballot_payload, signing_message, signature checks
  note         C2SP signed notes, checkpoints, cosignatures
  keys         log and witness key files, origins
  receipts     receipts, tracker codes, verify_receipt
  documents    assembly definition and roster documents <-> voting objects
  bundle       the audit bundle container and its signed MANIFEST
  verifier     offline verification (sigcheck in workers, replay in order,
               bundlechecks, previous, report)
  memlog, synthetic   in-memory logs for tests, tools and the benchmark

Stored (SQLAlchemy, caller's transaction):
  models       log_head, ledger_entry, ledger_key, tree_node, checkpoint, witness,
               cosignature
  store        begin_write, lock_head, append, proofs, roots
  publish      assembly + frozen roster -> entry 0
  writer       cast_ballot, enter_paper_ballot, next_seq, counted_votes, and (from
               enrolment, committee) enroll_*, revoke_key, register_proxy,
               set_representative, record_transfer, void_entry, close_voting,
               publish_result
  checkpoints  issue_checkpoint, witnesses and cosignatures
  export       export_bundle
  sequencer    group commit of a process's ballots per log (the casting path), with
               hotsql (its plain SQL, deferred writes, per-transaction memo),
               prefetch (a batch's reads in one round trip) and headstate (what the
               casting rules read about a head)

docs/audit-bundle.md specifies every byte.
"""
