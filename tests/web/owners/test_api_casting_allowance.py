"""A home's casting allowance is its own, whatever key signs (both databases).

Each voting key used to have its own count, and keys could be enrolled without end: 150
new keys gave 150 more ballots in seconds.  Now the allowance is counted per head from
its own ballots in the log (``ledger.allowance``), and an owner may enrol at most
``BALLOT_KEYS_PER_DAY`` voting keys in one assembly a day.
"""

from __future__ import annotations

import dataclasses

import pytest

from ledger.allowance import BALLOT_KEYS_PER_DAY, Window, retry_at
from tests.support.phones import Phone
from tests.support.small_community import CHEN, WANG


@pytest.fixture
def limited(ov_settings):
    """The app with its throttles on: 3 ballots a minute per head, keys generous."""
    from web import create_app

    settings = dataclasses.replace(ov_settings, cast_limit_per_head="3 per minute",
                                   cast_limit_per_key="100 per minute")
    application = create_app(settings, TESTING=True)
    yield application
    application.extensions["ownervote.engine"].dispose()


def test_a_new_voting_key_does_not_renew_the_homes_allowance(limited, world) -> None:
    phone = Phone(limited.test_client(), world.assembly_id)
    phone.ready(CHEN)
    for choice in ("agree", "oppose", "abstain"):
        assert phone.cast(phone.ballot(phone.template(), {"1": choice})).status_code == 201
    refused = phone.cast(phone.ballot(phone.template(), {"1": "agree"}))
    assert refused.status_code == 429, refused.get_json()
    assert refused.get_json()["error"] == "too_many_requests"
    assert refused.get_json()["retry_at"] and "之后再投" in refused.get_json()["message"]
    # A fresh key for the same home: still the same home's allowance.
    t = phone.template()
    assert phone.enrol_ballot_key(t).status_code == 201
    again = phone.cast(phone.ballot(phone.template(), {"1": "agree"}))
    assert again.status_code == 429, again.get_json()
    # Nothing was written for the refused ones: the next number is still 4.
    assert phone.template()["next_seq"] == 4
    # Another home is not affected.
    neighbour = Phone(limited.test_client(), world.assembly_id)
    t = neighbour.ready(WANG)
    assert neighbour.cast(neighbour.ballot(t, {"1": "agree"})).status_code == 201


def test_voting_keys_per_owner_and_assembly_are_limited(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)  # one key enrolled
    statuses = [phone.enrol_ballot_key(t).status_code for _ in range(BALLOT_KEYS_PER_DAY.ballots)]
    assert statuses == [201] * (BALLOT_KEYS_PER_DAY.ballots - 1) + [429], statuses
    refused = phone.enrol_ballot_key(t)
    assert refused.status_code == 429 and refused.get_json()["error"] == "too_many_requests"
    assert refused.get_json()["retry_at"] and "次数过多" in refused.get_json()["message"]
    # The last key enrolled still votes.
    assert phone.cast(phone.ballot(phone.template(), {"1": "agree"})).status_code == 201


def test_the_allowance_windows_slide() -> None:
    minute = Window(3, 60_000)
    assert retry_at([], 0, [minute]) is None
    assert retry_at([1_000, 2_000], 10_000, [minute]) is None
    assert retry_at([1_000, 2_000, 3_000], 10_000, [minute]) == 61_000
    assert retry_at([1_000, 2_000, 3_000], 61_001, [minute]) is None  # the first left
    day = Window(4, 86_400_000)
    assert retry_at([1_000, 2_000, 3_000, 70_000], 80_000, [minute, day]) == 86_401_000
