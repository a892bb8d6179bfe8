"""Staff rows written straight into the database (no password or TOTP to sign in with).

Staff who sign in are made with ``identity.store.staff.create_staff`` (see
``tests/support/worlds.py`` and ``tests/support/committee_console.py``).
"""

from __future__ import annotations


def make_staff(session, community_id: int, username: str, role: str = "committee"):  # type: ignore[no-untyped-def]
    from identity.store.models import StaffUser

    user = StaffUser(username=username, password_hash="x", role=role, community_id=community_id)
    session.add(user)
    session.flush()
    return user
