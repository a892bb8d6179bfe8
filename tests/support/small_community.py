"""The owners' world of the API and owner-page tests: the small registry extract and an
open assembly.

``make_world(session, settings)``: the small extract (``tests/data/registry/small.csv``,
its people ``CHEN``, ``LIN``, ``HUANG``, ``WANG``, ``ZHANG``) imported into 测试小区 once,
and a published assembly with a motion, a special matter and an election, through
the same proceedings the committee uses — the ``world`` fixture of
``tests/web/owners/conftest.py``.  An owner's phone is ``tests/support/phones.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from identity.store.importer import import_extract
from identity.store.models import Community
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import logstore
from ledger.store.proceedings import ItemSpec, create_assembly, open_voting, publish_notice
from tests.support.data import REGISTRY_DATA
from voting.settings import AssemblySettings

SMALL = REGISTRY_DATA / "small.csv"

# People of small.csv (fake): name, ID number, certificate, (building, unit)
CHEN = ("陈明", "350881198503120011", "闽(2021)漳平市不动产权第0000101号", ("1幢", "101"))
LIN = ("林芳", "350881198707220022", "闽(2021)漳平市不动产权第0000102号", ("1幢", "102"))
HUANG = ("黄伟", "35080219860101003X", "闽(2021)漳平市不动产权第0000102号", ("1幢", "102"))
WANG = ("王五", "350881196502280065", "闽(2020)漳平市不动产权第0000301号", ("2幢", "商铺01"))
ZHANG = ("张三丰", "350203197006150045", None, ("1幢", "202"))


@dataclass
class World:
    assembly_id: int
    community_id: int
    settings: object
    ceremony: Any = None  # a secret assembly's (tests.support.trustees.Ceremony)


def make_world(session, ov_settings, *, revote: str = "until_close", status: str = "open",
               title: str = "2026年第二次业主大会会议", trustees: int = 0) -> World:
    """Import the small extract (once) and add a published assembly (``trustees``: a
    secret one, its key ceremony by that many trustees recorded before the notice)."""
    community = session.query(Community).filter_by(name="测试小区").one_or_none()
    if community is None:
        import_extract(session, "测试小区", SMALL.read_bytes(), settings=ov_settings)
        session.commit()
        community = session.query(Community).filter_by(name="测试小区").one()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    a = create_assembly(
        session, community.id, title,
        [ItemSpec("选聘物业服务企业", 4, "拟选聘鹭安物业，服务期三年。"),
         ItemSpec("筹集住宅专项维修资金", 6, "按每平方米30元续筹。"),
         ItemSpec("选举业主委员会委员", 3, "三名候选人选两名。", kind="election", seats=2,
                  candidates=("陈建国", "林秀英", "黄志明"))],
        settings=AssemblySettings(revote=revote) if not trustees else AssemblySettings(
            revote=revote, ballot_secrecy="secret", trustees=trustees),
        opens_at=now - dt.timedelta(days=1) if status == "open" else now + dt.timedelta(days=20),
        closes_at=now + dt.timedelta(days=14) if status == "open" else now + dt.timedelta(days=30),
        actor="test")
    session.commit()
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    ceremony = _ceremony(session, a, ov_settings, trustees) if trustees else None
    logstore.begin_write(session)
    notice = now - dt.timedelta(days=17) if status == "open" else now
    publish_notice(session, a, signer, ownervote_settings=ov_settings, now=notice, actor="test")
    if status == "open":
        open_voting(session, a, signer, now=a.opens_at, actor="test")
    session.commit()
    return World(a.id, community.id, ov_settings, ceremony)


def _ceremony(session, a, ov_settings, n: int) -> Any:
    """A whole key ceremony of ``n`` trustees, recorded as the committee would."""
    from ledger.store import trustees
    from ledger.store.publish import assembly_origin
    from tests.support.trustees import full_ceremony

    ceremony = full_ceremony(assembly_origin(session, a, ov_settings.base_url), n)
    session.commit()
    logstore.begin_write(session)
    for data in ceremony.files():
        trustees.record(session, a, data, base_url=ov_settings.base_url)
    session.commit()
    return ceremony
