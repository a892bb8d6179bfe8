"""A further round (另行选举) for the seats an election left open, as an item of a new draft.

docs/law.md: fewer members elected than the rules require, or a tie for the last seat,
leaves seats open; a further round is held among candidates as a new vote.  From the
counted result of an election item (:func:`voting.election.further_round_of`: the
unfilled seats; the tied candidates after a tie, else every candidate not elected) the
committee prepares a draft assembly of the same community with the same settings, whose
one item is that election.  The draft is an ordinary draft: the committee may edit it
(add candidates, documents, the voting window) before its notice, which follows the
notice rules like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.store import proceedings
from ledger.store.publish import assembly_settings
from ownervote.services.assemblies import assembly, check_election_rules
from ownervote.services.errors import ServiceError
from ownervote.services.unit_of_work import writing
from voting.election import ElectionStatus, FurtherRound, further_round_of
from voting.items import ItemSpec
from voting.lifecycle import Status
from voting.matters import Matter
from voting.store.models import Assembly

COUNTED = (Status.TALLIED.value, Status.ANNOUNCED.value)


class NoFurtherRound(ServiceError):
    """No further round can be prepared from this item (``why``: ``not_counted`` — the
    assembly has no counted result yet; ``not_an_election``; ``all_seats_filled``)."""

    def __init__(self, position: int, why: str) -> None:
        self.position = position
        self.why = why
        super().__init__(f"item {position}: no further round ({why})")


@dataclass(frozen=True)
class Prepared:
    """The new draft and what its election item holds."""

    assembly_id: int
    seats: int
    candidates: tuple[str, ...]
    first_round: ElectionStatus


def open_seats(a: Assembly, position: int) -> FurtherRound:
    """What a further round of item ``position`` of ``a`` would elect; refused as
    :class:`NoFurtherRound` says."""
    if a.status not in COUNTED or not a.result:
        raise NoFurtherRound(position, "not_counted")
    counted = next((r for r in a.result.get("items", []) if r.get("id") == str(position)), None)
    if counted is None or counted.get("election") is None:
        raise NoFurtherRound(position, "not_an_election")
    still_open = further_round_of(counted["election"])
    if still_open is None:
        raise NoFurtherRound(position, "all_seats_filled")
    return still_open


def prepare(session: Session, assembly_id: int, *, position: int, title: str,
            description: str, actor: str) -> Prepared:
    """A draft assembly with the further round of item ``position`` (one unit of work).

    ``title`` and ``description`` are the new draft's, worded by the caller.  Refusals:
    :class:`NoFurtherRound`, :class:`~ownervote.services.assemblies.ElectionOutsideRules`
    (for example a competitive election left with no more candidates than open seats:
    the committee nominates more in a draft of its own).
    """
    with writing(session):
        a = assembly(session, assembly_id)
        still_open = open_seats(a, position)
        item = next(i for i in a.items if i.position == position)
        settings = assembly_settings(a)
        spec = ItemSpec(title=item.title, matter=int(Matter.COMMITTEE), kind="election",
                        description=item.description or "", seats=still_open.seats,
                        candidates=still_open.candidates,
                        scope_buildings=list(item.scope_buildings)
                        if item.scope_buildings else None)
        check_election_rules([(1, spec)], settings)
        draft = proceedings.create_assembly(session, a.community_id, title, [spec],
                                            description=description, settings=settings,
                                            actor=actor)
        session.flush()
        return Prepared(draft.id, still_open.seats, still_open.candidates, still_open.status)
