"""``POST /committee/advance`` moves only the member's own community's assemblies
(issue 15, item 12): a committee member of A opens A's due assembly and leaves B's alone;
the administrator's advance (and the timer's) moves every community's."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import logstore
from ledger.store.proceedings import ItemSpec, create_assembly, publish_notice
from tests.support.worlds import sign_in_as
from voting.store.models import Assembly

META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _due(session, settings, community_id: int) -> int:
    """A noticed assembly whose voting should have opened an hour ago."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    a = create_assembly(session, community_id, "到期的业主大会", [ItemSpec("修订管理规约", 2)],
                        opens_at=now - dt.timedelta(hours=1),
                        closes_at=now + dt.timedelta(days=10))
    session.commit()
    logstore.begin_write(session)
    publish_notice(session, a, signer, ownervote_settings=settings,
                   now=now - dt.timedelta(days=20))
    session.commit()
    return a.id


def _status(session, assembly_id: int) -> str:
    # a connection of its own: the app committed in its sessions
    with session.bind.connect() as conn:
        return conn.execute(select(Assembly.status).where(Assembly.id == assembly_id)).scalar_one()


def _advance(app, world, role: str) -> int:
    client = app.test_client()
    sign_in_as(client, app, world.principal(role))
    token = META.search(client.get("/verify").get_data(as_text=True)).group(1)
    return client.post("/committee/advance", headers={"X-CSRFToken": token}).status_code


def test_a_member_moves_only_their_own_communitys_assemblies(app, session, ov_settings,
                                                            world) -> None:
    in_a = _due(session, ov_settings, world.a.community_id)
    in_b = _due(session, ov_settings, world.b.community_id)
    assert _advance(app, world, "committee_a") in (302, 303)
    assert _status(session, in_a) == "open"
    assert _status(session, in_b) == "noticed"  # not A's member's to open
    assert _advance(app, world, "admin") in (302, 303)
    assert _status(session, in_b) == "open"
