"""identity: registry extracts → versioned PII-free rosters; owner verification; personal data.

See docs/identity.md (import, rosters, verification, review queue, device keys) and
docs/personal-data.md (what is stored how).  The modules here are pure (no
storage, no web); storage lives in :mod:`identity.store`.
"""
