"""identity: registry extracts → versioned PII-free rosters; owner verification; personal data.

See docs/identity.md (import, rosters, verification, review queue, device keys) and
docs/personal-data.md (what is stored how).  Never imports Flask or ``web``.
"""
