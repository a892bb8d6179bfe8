"""ledger: the append-only, hash-chained, Merkle-proved record of an assembly.

Pure (no database):
  merkle       RFC 6962/9162 tree hash and proofs (the auditors' API)
  treemath     which stored subtrees make a root or a proof; streaming roots
  canonical    canonical JSON (RFC 8785 subset) and strict base64url/hex
  kinds        entry kinds and who signs each kind's payload
  entries      the envelope, entry hash, body shapes; the parser (typed payloads)
  payloads     signed payloads as frozen, typed values
  ballots      signed payloads: ballot_payload, signing_message, signature checks
  note         C2SP signed notes, checkpoints, cosignatures
  keys         log and witness key files, origins
  receipts     receipts, tracker codes, verify_receipt
  timestamps   entry times in Unix milliseconds
  documents    assembly definition and roster documents <-> voting objects
  bundle       the audit bundle container and its signed MANIFEST
  verifier     offline verification (sigcheck in workers, replay in order,
               bundlechecks, previous, report)
  memlog, synthetic   in-memory logs for tests, tools and the benchmark

Stored (SQLAlchemy, caller's transaction): the :mod:`ledger.store` subpackage.

docs/audit-bundle.md specifies every byte.
"""
