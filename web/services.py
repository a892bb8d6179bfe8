"""Kept until the other web modules are moved: the same names as :mod:`web.instance`.

``web.services`` was the old name of :mod:`web.instance` (the settings, PII cipher,
keyed hasher and log signer of this application instance); import them from there.
The integrator deletes this module once no module imports it.
"""

from __future__ import annotations

from web.instance import hasher, init_app, log_signer, pii, settings

__all__ = ["hasher", "init_app", "log_signer", "pii", "settings"]
