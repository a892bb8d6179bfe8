"""Vendored browser libraries: what is served from web/static/vendor/ and its pinned hash.

The hash is the Subresource Integrity value of the ``<script integrity=…>`` tag that loads
the file (web/templates/_secret_scripts.html), so a file changed on the server or on the way
is refused by the browser.  ``scripts/vendor_noble.sh`` rebuilds the file from npm and
rewrites the hash below; ``scripts/vendor_noble.sh --check`` proves the committed file is
what the pinned packages build to, and tests/unit/test_vendor_noble.py that the pin matches
the file.
"""

from __future__ import annotations

#: web/static/vendor/noble/noble.js: @noble/curves + @noble/hashes (see its VENDOR.md)
NOBLE_PATH = "vendor/noble/noble.js"
NOBLE_SRI = "sha384-pWEuM0CDLo/pMFzpe7xYkJZeo8w4Zrm33nxCgofxyiJUQediChukq4Z4Rgn+9n9T"
