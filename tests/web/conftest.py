"""Fixtures of the web tests (``tests/web/``: the Flask test client).

``app``, ``client`` and ``ov_settings`` are in ``tests/conftest.py`` (on both databases).
``world`` here is the two-community world with staff of every role
(``tests/support/worlds.py``); the owners' tests (``owners/``) and the committee
console's (``committee/``) have a ``world`` of their own in their folder's conftest.
"""

from __future__ import annotations

import pytest

from tests.support.worlds import World, build_world


@pytest.fixture
def world(session, ov_settings) -> World:
    return build_world(session, ov_settings)
