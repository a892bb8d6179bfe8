"""Staff accounts: scrypt passwords, TOTP second factor, one sign-in per code."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from identity.credentials import StaffError, check_password, hash_password
from identity.pii import PiiCipher
from identity.store.staff import authenticate, create_staff

KEY = ("k1", bytes(range(32)))
NOW = dt.datetime(2026, 11, 20, 8, 0, 7, tzinfo=dt.UTC)


@pytest.fixture
def member(session):
    cipher = PiiCipher([KEY])
    user, secret = create_staff(session, cipher, username="委员甲", password="long-enough-pw",
                                role="admin")
    session.commit()
    return cipher, user, pyotp.TOTP(secret)


def test_password_hashes_are_salted_and_checked() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert check_password(a, "correct horse") and not check_password(a, "correct hors")
    assert not check_password(None, "anything") and not check_password("garbage", "x")


def test_sign_in_needs_password_and_current_code(session, member) -> None:
    cipher, _user, totp = member
    code = totp.at(NOW)
    assert authenticate(session, cipher, "委员甲", "wrong-password", code, now=NOW) is None
    assert authenticate(session, cipher, "委员甲", "long-enough-pw", "123", now=NOW) is None
    stale = totp.at(NOW - dt.timedelta(minutes=5))
    assert authenticate(session, cipher, "委员甲", "long-enough-pw", stale, now=NOW) is None
    assert authenticate(session, cipher, "委员甲", "long-enough-pw", code, now=NOW) is not None


def test_a_code_signs_in_once(session, member) -> None:
    cipher, _user, totp = member
    code = totp.at(NOW)
    assert authenticate(session, cipher, "委员甲", "long-enough-pw", code, now=NOW) is not None
    session.commit()
    assert authenticate(session, cipher, "委员甲", "long-enough-pw", code, now=NOW) is None
    # nor an earlier step's code still inside the drift window
    earlier = totp.at(NOW - dt.timedelta(seconds=30))
    assert authenticate(session, cipher, "委员甲", "long-enough-pw", earlier, now=NOW) is None
    # the next step's code is still good (clock drift allowance)
    later = totp.at(NOW + dt.timedelta(seconds=30))
    assert authenticate(session, cipher, "委员甲", "long-enough-pw", later, now=NOW) is not None


def test_staff_rules(session) -> None:
    cipher = PiiCipher([KEY])
    with pytest.raises(StaffError, match="at least"):
        create_staff(session, cipher, username="x", password="short", role="admin")
    with pytest.raises(StaffError, match="role"):
        create_staff(session, cipher, username="x", password="long-enough-pw", role="king")
    with pytest.raises(StaffError, match="one community"):
        create_staff(session, cipher, username="x", password="long-enough-pw", role="committee")
