"""ledger.store: the logs as stored (SQLAlchemy, on SQLite or PostgreSQL).

Every function here runs inside its caller's transaction and never commits; the
service layer (:mod:`ownervote.services`) owns the transactions.  The one exception is
the sequencer, the casting path's group commit: it commits each batch of ballots itself.

  models       log_head, ledger_entry, ledger_key, tree_node, checkpoint, witness,
               cosignature
  logstore     begin_write, lock_head, append, proofs, roots
  sqlitegate   SQLite: the writers of all processes take turns
  admission    what a signed entry must pass before it is appended
  writer       validated appends of ballots and paper ballots (and their dry runs),
               next_seq, counted_votes
  enrolment    committee keys and voters' device keys in a log
  committee    proxies, representatives, transfers, voids (and their dry runs); the
               log's closing entry and the result
  publish      assembly + frozen roster -> entry 0; reading them back
  proceedings  draft, notice, open, close, tally, announce (voting's state machine,
               stored)
  checkpoints  issue_checkpoint, witnesses and cosignatures
  receipts     receipts of stored entries and their updates
  export       export_bundle
  sequencer    group commit of a process's ballots per log (the casting path), with
               castpath (the path's plain SQL, deferred writes, per-transaction memo
               and process caches, with their reset), rawcursor (plain statements in
               the session's transaction, pipelined) and headstate (what the casting
               rules read about a head)
"""
