"""Playwright driving Debian's Chromium: where it is, how it is launched, the two screens.

``playwright install`` cannot download browsers here, so the tests launch the
system Chromium (``/usr/bin/chromium``, installed by ``./dev test``) headless.
The live server the browser talks to is :class:`tests.support.servers.Server`.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("OWNERVOTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
