"""The committee console's tests: ``world`` is two small communities with committee members
and an administrator who sign in with password and TOTP
(``tests/support/committee_console.py``)."""

from __future__ import annotations

import pytest

from tests.support.committee_console import World, build_console_world


@pytest.fixture
def world(app, session, ov_settings) -> World:
    return build_console_world(session, ov_settings)
