"""Casting: the ballot template (what the phone signs) and a signed ballot into the log.

* :func:`ballot_template` — everything the phone needs to build and sign a ballot for
  one of the account's heads: the log's origin and key, the head's next ballot number,
  its enrolled ballot key, the choices that count now and the items a new ballot could
  not change (typed refusals of the rules engine, worded by the pages).
* :func:`cast` — through the process's sequencer (:mod:`ledger.store.sequencer`, group
  commit): the ballot's checks, append, checkpoint and receipt are one transaction of
  its batch, committed before the receipt is returned.  :func:`ready_to_cast` is the
  cheap check before it (one indexed read, then none: remembered per process) and ends
  the request's read transaction, because a request waiting for its batch must not
  hold a pooled connection (the batch's leader could wait for one behind the requests
  that wait for it).  A refusal is raised as the domain raised it, with its code and
  figures: :class:`ledger.errors.LedgerError` (``code``: :class:`~ledger.errors.Refusal`,
  ``params``) or :class:`voting.errors.CastRefused` (``reason``, ``item_id``); nothing
  is read again to explain it.  :func:`refusal_details` gives the words a casting rule's
  refusal names (item titles, the co-owner who votes).
* :func:`install_gate` — the per-device-key throttle counted in each batch;
  :func:`install_allowance` — each head's casting allowance, checked under the log's lock
  from the head's own ballots (:mod:`ledger.allowance`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from identity.store.models import OwnerAccount
from ledger import timestamps
from ledger.allowance import Window
from ledger.note import Signer
from ledger.receipts import Receipt
from ledger.store import sequencer
from ledger.store.models import LogHead
from ledger.store.writer import next_seq
from ownervote.services import owner_assemblies, owner_heads
from ownervote.services.errors import ServiceError
from ownervote.services.owner_heads import HeadView, ItemLocks
from ownervote.services.unit_of_work import end_read
from voting.errors import CastRefused, RefusalReason
from voting.settings import AssemblySettings
from voting.store.models import Assembly


class HeadRefusal(StrEnum):
    """Why no template was made (``heads``: the account's heads, to choose from)."""

    NO_HEAD = "no_head"  # the account has no head in this assembly
    CHOOSE_HEAD = "choose_head"  # several (or an unknown one was asked for): choose one


class HeadNotChosen(ServiceError):
    def __init__(self, code: HeadRefusal, heads: list[HeadView]) -> None:
        self.code, self.heads = code, heads
        super().__init__(code.value)


@dataclass(frozen=True)
class BallotTemplate:
    """What the phone needs to sign a ballot for :attr:`head` (see :func:`ballot_template`)."""

    assembly: Assembly
    log: LogHead
    settings: AssemblySettings
    accepting_ballots: bool
    head: HeadView
    heads: list[HeadView]
    next_seq: int
    ballot_key: str | None  # the id of the head's enrolled, unrevoked key of this voter
    current: dict[str, Any]  # item id -> the choice that counts now
    locks: ItemLocks  # items a new online ballot would be refused on, and why


def ballot_template(session: Session, assembly_id: int, *, account_id: int,
                    head_id: str | None, hasher: KeyedHasher, cipher: PiiCipher
                    ) -> BallotTemplate:
    """The template for ``head_id``; without it, for the only head the account may vote for
    (an account with several must choose: :class:`HeadNotChosen`)."""
    a = owner_assemblies.visible(session, assembly_id)
    head = owner_assemblies.require_log(session, assembly_id)
    views = owner_heads.heads_for(session, assembly_id, account_id, hasher=hasher,
                                  cipher=cipher)
    if not views:
        raise HeadNotChosen(HeadRefusal.NO_HEAD, [])
    view = next((v for v in views if v.head_id == head_id), None)
    if view is None:
        votable = [v for v in views if v.head.may_vote]
        if head_id or len(votable) > 1:
            raise HeadNotChosen(HeadRefusal.CHOOSE_HEAD, views)
        view = (votable or views)[0]
    account = session.get(OwnerAccount, account_id)
    assert account is not None  # heads_for found its heads
    voter = owner_heads.voter_of(session, account.owner_id, head.origin, hasher)
    key = owner_heads.ballot_key(session, assembly_id, view.head_id, voter)
    locks = (owner_heads.item_locks(session, assembly_id, view.head_id, voter, hasher=hasher,
                                    cipher=cipher)
             if view.head.may_vote else ItemLocks({}))
    return BallotTemplate(
        assembly=a, log=head, settings=owner_assemblies.settings_of(a),
        accepting_ballots=owner_assemblies.accepting_ballots(a, head, timestamps.now_ms()),
        head=view, heads=views, next_seq=next_seq(session, assembly_id, view.head_id),
        ballot_key=key.key_id if key is not None else None,
        current=owner_heads.current_choices(view.ballots), locks=locks)


# -- casting --------------------------------------------------------------------------------

def ready_to_cast(session: Session, assembly_id: int) -> None:
    """The assembly is published and has a log (else ``NotFound``: ``"assembly"`` or
    ``"log"``); the request's read transaction is ended (see the module docstring)."""
    if not sequencer.visible_log(session, assembly_id, owner_assemblies.VISIBLE):
        owner_assemblies.visible(session, assembly_id)
        owner_assemblies.require_log(session, assembly_id)
    end_read(session)


def election_key_hex(session: Session, assembly_id: int) -> str | None:
    """A secret assembly's election key (hex, from its log's ceremony), ``None`` if open."""
    from ledger.store import trustees

    return trustees.published_key_hex(session, assembly_id)


def cast(session: Session, assembly_id: int, payload: dict[str, Any], sig: bytes, *,
         signer: Signer) -> Receipt:
    """Append one signed ballot (in some batch of the sequencer) and return its receipt,
    once committed.  Raises the domain's refusal for this ballot (see the module
    docstring), or the database error that failed its batch."""
    end_read(session)  # nothing to end after ready_to_cast: no statement
    _appended, receipt = sequencer.for_engine(session.get_bind().engine).cast(
        assembly_id, payload, sig, signer)
    return receipt


@dataclass(frozen=True)
class RefusalDetails:
    """What the words of a casting rule's refusal name."""

    titles: dict[str, str]  # item id -> its title
    co_owner: str = ""  # masked name of the co-owner who votes (co_owner_already_voted)


def refusal_details(session: Session, assembly_id: int, head_id: str, refusal: CastRefused, *,
                    hasher: KeyedHasher, cipher: PiiCipher) -> RefusalDetails:
    """The item titles (and, for ``co_owner_already_voted``, who votes) a refusal names."""
    a = session.get(Assembly, assembly_id)
    titles = {str(it.position): it.title for it in a.items} if a is not None else {}
    who = ""
    if refusal.reason is RefusalReason.CO_OWNER_ALREADY_VOTED:
        who = owner_heads.co_owner_voting(session, assembly_id, head_id, hasher=hasher,
                                          cipher=cipher)
    return RefusalDetails(titles, who)


def install_gate(engine: Engine, gate: Callable[[list[dict[str, Any]]],
                                                list[BaseException | None]]) -> None:
    """Let ``gate`` admit or refuse each batch's ballots of this database, before the log's
    lock (the per-device-key throttle; :attr:`ledger.store.sequencer.Sequencer.gate`)."""
    sequencer.for_engine(engine).gate = gate


def install_allowance(engine: Engine, windows: Sequence[Window]) -> None:
    """Let each head of this database's logs cast at most so many phone ballots per window
    (:mod:`ledger.allowance`; refused with ``Refusal.TOO_MANY_BALLOTS``)."""
    sequencer.for_engine(engine).allowance = tuple(windows)
