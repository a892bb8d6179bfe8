"""The kinds of ledger entries, and who signs each kind's payload.

Kept apart from :mod:`ledger.entries` (the envelope and the parser) so that the typed
payloads (:mod:`ledger.payloads`) and the parser can both name them.
"""

from __future__ import annotations

PUBLISHED = "assembly.published"
OFFICIAL_ENROLLED = "official.enrolled"
KEY_ENROLLED = "key.enrolled"
KEY_REVOKED = "key.revoked"
PROXY_REGISTERED = "proxy.registered"
REPRESENTATIVE_SET = "representative.set"
UNIT_TRANSFERRED = "unit.transferred"
BALLOT = "ballot"
PAPER_BALLOT = "paper_ballot"
VOIDED = "entry.voided"
CLOSED = "voting.closed"
RESULT = "result.published"
#: the final announcement, issued once the objection period is over (log-written, unsigned)
FINAL = "result.final"
#: a trustee's signed document of a secret assembly (docs/secret-ballots.md §12.1): the
#: entry's body is the trustee's signed envelope, its kind the document's ``type``
TRUSTEE_ANNOUNCEMENT = "trustee.announcement"
TRUSTEE_DEALING = "trustee.dealing"
TRUSTEE_CONFIRMATION = "trustee.confirmation"
TRUSTEE_COMPLAINT = "trustee.complaint"
TRUSTEE_ANSWER = "trustee.answer"
TRUSTEE_DECRYPTION = "trustee.decryption"
#: the key ceremony's documents: written right after entry 0, with the notice
CEREMONY_KINDS = (TRUSTEE_ANNOUNCEMENT, TRUSTEE_DEALING, TRUSTEE_CONFIRMATION,
                  TRUSTEE_COMPLAINT, TRUSTEE_ANSWER)
TRUSTEE_KINDS = (*CEREMONY_KINDS, TRUSTEE_DECRYPTION)

KINDS = (
    PUBLISHED,
    OFFICIAL_ENROLLED,
    KEY_ENROLLED,
    KEY_REVOKED,
    PROXY_REGISTERED,
    REPRESENTATIVE_SET,
    UNIT_TRANSFERRED,
    BALLOT,
    PAPER_BALLOT,
    VOIDED,
    CLOSED,
    RESULT,
    FINAL,
    *TRUSTEE_KINDS,
)
# kind -> signer of the payload: "voter", "official" or "log"
SIGNED = {
    BALLOT: "voter",
    PAPER_BALLOT: "official",
    PROXY_REGISTERED: "official",
    REPRESENTATIVE_SET: "official",
    UNIT_TRANSFERRED: "official",
    VOIDED: "official",
    KEY_ENROLLED: "log",
    KEY_REVOKED: "log",
    OFFICIAL_ENROLLED: "log",
}
