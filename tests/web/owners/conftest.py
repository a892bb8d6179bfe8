"""The owners' tests (JSON API and owner pages): ``world`` is the small registry extract
imported with an open assembly (``tests/support/small_community.py``)."""

from __future__ import annotations

import pytest

from tests.support.small_community import World, make_world


@pytest.fixture
def world(session, ov_settings, app) -> World:
    return make_world(session, ov_settings)
