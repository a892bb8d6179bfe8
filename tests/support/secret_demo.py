"""An open secret assembly in a live demo's database, for the browser tests of the secret
ballot pages (tests/browser/test_secret_pages.py).

Run with the demo server's environment (``python -m tests.support.secret_demo``): it adds
to the demo community a secret assembly (two trustees, a majority threshold) with a motion
and a committee election, records the trustees' final key ceremony before the notice,
publishes the notice and opens voting, and prints ``{"id", "origin", "key"}`` as JSON.
The trustees' secrets stay in this process: nothing can decrypt the ballots afterwards,
which is what the test wants to see.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from identity.store.models import Community
from identity.synthetic import DEMO_COMMUNITY
from ledger.secret import trustee_docs as td
from ledger.store.proceedings import ItemSpec, create_assembly, open_voting, publish_notice
from ledger.store.publish import assembly_origin
from ownervote.commands import invocation
from ownervote.services import database, trustee_documents
from ownervote.services.keys import log_signer
from ownervote.services.unit_of_work import writing
from tests.support.trustees import full_ceremony
from voting.settings import AssemblySettings, BallotSecrecy

TITLE = "2026年无记名投票业主大会"
CANDIDATES = ("郑明", "何静", "邓强")


def secret_assembly(session, settings) -> dict:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    opens = now - dt.timedelta(hours=1)
    community = session.scalars(select(Community).where(Community.name == DEMO_COMMUNITY)).one()
    with writing(session):
        a = create_assembly(
            session, community.id, TITLE,
            [ItemSpec("更换小区门禁系统", 2, "门禁系统更换方案见附件。"),
             ItemSpec("增补业主委员会委员", 3, "从三名候选人中选出两名委员。", kind="election",
                      seats=2, candidates=CANDIDATES)],
            settings=AssemblySettings(ballot_secrecy=BallotSecrecy.SECRET, trustees=2),
            opens_at=opens, closes_at=now + dt.timedelta(days=14), actor="test")
        aid = a.id
        origin = assembly_origin(session, a, settings.base_url)
    ceremony = full_ceremony(origin, n=2)
    for signed in ceremony.documents:  # as the committee hands each trustee's file in
        trustee_documents.submit(session, aid, td.dumps(signed), base_url=settings.base_url,
                                 now=now, actor="test")
    signer = log_signer(settings)
    with writing(session):
        a = session.get(type(a), aid)
        publish_notice(session, a, signer, ownervote_settings=settings,
                       now=now - dt.timedelta(days=16), actor="test")
        open_voting(session, a, signer, now=opens, actor="test")
    return {"id": aid, "origin": origin, "key": ceremony.key.hex()}


def main() -> None:
    settings = invocation.settings()
    with database.session(settings) as session:
        print(json.dumps(secret_assembly(session, settings)))


if __name__ == "__main__":
    main()
