"""The demo's sign-in details, for the shell (``ownervote demo``, the staff sign-in page's
demo hint).

The demo itself — a community in 漳平市, its staff and four assemblies (two by secret
ballot) — is loaded by :func:`ownervote.services.demo.load`; this module only re-exports
what the shell shows.
"""

from __future__ import annotations

from ownervote.services.demo import STAFF, DemoAccount, DemoOwner, demo_owner

__all__ = ["STAFF", "DemoAccount", "DemoOwner", "demo_owner"]
