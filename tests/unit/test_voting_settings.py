"""Assembly settings: defaults from docs/law.md, validation, JSON round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting import AssemblySettings, Precedence, RevotePolicy, SettingsError


def test_defaults_are_the_laws_defaults() -> None:
    s = AssemblySettings()
    assert s.scope_buildings is None  # whole community
    assert s.count_parking is False
    assert s.revote is RevotePolicy.UNTIL_CLOSE
    assert s.precedence is Precedence.FIRST_CAST
    assert s.proxy_cap == 3
    assert s.non_voters_join_majority is False
    assert s.notice_days == 15 and s.extraordinary is False
    assert s.objection_days == 7
    assert AssemblySettings.from_dict({}) == s


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"notice_days": 7}, "extraordinary"),
        ({"notice_days": 6, "extraordinary": True}, "outside 7..365"),
        ({"notice_days": "15"}, "must be an integer"),
        ({"revote": "twice"}, "none, once, until_close"),
        ({"precedence": "latest"}, "first_cast, paper, electronic"),
        ({"proxy_cap": -1}, "outside 0..1000"),
        ({"proxy_cap": True}, "must be an integer"),
        ({"count_parking": "yes"}, "true or false"),
        ({"non_voters_join_majority": 1}, "true or false"),
        ({"scope_buildings": []}, "nobody to vote"),
        ({"scope_buildings": "1"}, "list of building names"),
        ({"scope_buildings": [1]}, "non-empty strings"),
        ({"objection_days": -1}, "outside 0..365"),
        ({"revote_policy": "none"}, 'unknown setting "revote_policy"'),
    ],
)
def test_invalid_settings_are_refused_naming_the_setting(data: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        AssemblySettings.from_dict(data)
    assert str(info.value).startswith("settings")


def test_extraordinary_meeting_with_seven_days() -> None:
    s = AssemblySettings.from_dict({"notice_days": 7, "extraordinary": True})
    assert s.notice_days == 7


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        AssemblySettings().proxy_cap = 5  # type: ignore[misc]


settings_st = st.builds(
    AssemblySettings,
    scope_buildings=st.none() | st.frozensets(st.text(min_size=1, max_size=5), min_size=1),
    count_parking=st.booleans(),
    revote=st.sampled_from(list(RevotePolicy)),
    precedence=st.sampled_from(list(Precedence)),
    proxy_cap=st.none() | st.integers(0, 1000),
    non_voters_join_majority=st.booleans(),
    notice_days=st.integers(15, 365),
    objection_days=st.integers(0, 365),
)


@given(settings_st)
def test_round_trip_through_json(settings: AssemblySettings) -> None:
    data = json.loads(json.dumps(settings.to_dict()))
    assert AssemblySettings.from_dict(data) == settings
