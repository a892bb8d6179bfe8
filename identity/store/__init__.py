"""identity.store: communities, roster versions, owners, accounts and staff as stored.

Every function here runs inside its caller's transaction and never commits; the
service layer (:mod:`ownervote.services`) owns the transactions.

  models           the tables (SQLAlchemy)
  rosters, bulk    roster versions written and read in bulk (COPY on PostgreSQL)
  importer         a registry extract -> one new roster version
  freeze           the roster an assembly counts, frozen at notice
  representatives  who votes for a head; an account's heads
  review           the committee's review queue and its effects on the roster
  devices          enrolled phone keys
  staff            staff accounts
  sessions         signed-in sessions recorded server-side
  throttle         failure counters shared by every worker
  smsoutbox        the demo SMS outbox; picking the SMS gateway
  pii_rotation     re-encrypting personal data under a new key
"""
