"""Votes and ballot events: what one head says on one item, and through which channel.

* A *vote* is what counts for one head on one item: a :class:`Choice`
  (agree / oppose / abstain) on a motion, an :class:`Approval` of up to
  ``seats`` candidates on an election (an empty approval, or
  ``Choice.ABSTAIN``, is a blank election ballot: the owner takes part but
  approves nobody).
* A *ballot event* is one accepted ballot in the ledger: a head, a channel
  (electronic, paper, proxy), a sequence position, and votes on one or more
  items.  :mod:`voting.casting` decides which events are accepted and which
  vote counts per head and item.

:func:`vote_problem` is the single check of a vote against its item, used at
cast time and by the tally alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from voting.errors import RefusalReason
from voting.items import Item, ItemKind


class Choice(StrEnum):
    AGREE = "agree"  # 同意
    OPPOSE = "oppose"  # 反对
    ABSTAIN = "abstain"  # 弃权
    #: an over-marked or unreadable paper election ballot (无效票): the owner took part
    #: on the item (participation, quorum) but the ballot counts for no candidate.  Only a
    #: paper ballot carries it (:func:`voting.casting.check_cast`), only on an election.
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Approval:
    """An election vote: the candidates this owner approves (at most the number of seats)."""

    candidates: frozenset[str]

    def __post_init__(self) -> None:
        if self.candidates.__class__ is not frozenset:
            object.__setattr__(self, "candidates", frozenset(self.candidates))

    @classmethod
    def of(cls, candidates: Iterable[str]) -> Approval:
        return cls(frozenset(candidates))


class Sealed(StrEnum):
    """A secret ballot's vote on an item (``ballot_secrecy: secret``): *that* the head voted
    on the item is public and counts like any vote (participation, revote, precedence,
    proxies, sales, voids); *what* it chose is encrypted, proved well-formed by
    :mod:`ledger.secret` and summed by the trustees' tally, never read here."""

    SEALED = "sealed"


Vote = Choice | Approval | Sealed


class Channel(StrEnum):
    """How a ballot reached the ledger."""

    ELECTRONIC = "electronic"  # cast by the owner (or co-owner representative) online
    PAPER = "paper"  # a paper ballot entered by the committee
    PROXY = "proxy"  # cast online by a written-proxy agent (委托代理人)

    @property
    def is_paper(self) -> bool:
        """Paper vs electronic precedence compares paper against everything else."""
        return self is Channel.PAPER


@dataclass(frozen=True)
class BallotEvent:
    """One ballot as recorded: ``seq`` is its ledger position (the order of casting).

    ``agent`` is the pseudonymous reference of a proxy agent (required for
    :attr:`Channel.PROXY`; allowed on paper ballots handed in by an agent);
    ``voter`` the pseudonymous reference of the co-owner who cast it, used for
    the co-owner rule; ``at`` is informational.
    """

    seq: int
    head_id: str
    channel: Channel
    choices: Mapping[str, Vote]
    agent: str | None = None
    voter: str | None = None
    at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.seq, bool) or not isinstance(self.seq, int):
            raise TypeError(f"ballot seq must be an int, got {self.seq!r}")
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "choices", MappingProxyType(dict(self.choices)))


def describe(vote: object) -> str:
    """A vote in words for messages: ``"agree"``, ``approval of "x", "y"``, else its repr."""
    if isinstance(vote, Choice):
        return f'"{vote.value}"'
    if isinstance(vote, Approval):
        names = ", ".join(f'"{c}"' for c in sorted(vote.candidates)) or "nobody"
        return f"approval of {names}"
    return repr(vote)


def vote_problem(item: Item, vote: object) -> tuple[RefusalReason, str] | None:
    """Why ``vote`` cannot count on ``item``, or ``None`` when it can."""
    if vote is Sealed.SEALED:  # its proofs say it fits the item (ledger.secret.ballot)
        return None
    if item.kind is ItemKind.MOTION:
        if vote.__class__ is Choice and vote is not Choice.INVALID:
            return None
        return (
            RefusalReason.INVALID_CHOICE,
            f'item "{item.item_id}": choose agree, oppose or abstain, got {describe(vote)}',
        )
    if type(vote) is Approval:
        chosen = vote.candidates
        if len(chosen) <= item.seats and chosen <= item.candidate_set:
            return None
        unknown = sorted(c for c in chosen if c not in item.candidate_set)
        if unknown:
            return (
                RefusalReason.UNKNOWN_CANDIDATE,
                f'item "{item.item_id}": no candidate '
                + ", ".join(f'"{candidate}"' for candidate in unknown),
            )
        return (
            RefusalReason.TOO_MANY_APPROVALS,
            f'item "{item.item_id}": {len(chosen)} candidates approved but only '
            f"{item.seats} seat(s); approve at most {item.seats}",
        )
    if vote is Choice.ABSTAIN or vote is Choice.INVALID:
        return None
    return (
        RefusalReason.INVALID_CHOICE,
        f'item "{item.item_id}" is an election: approve candidates or abstain, '
        f"got {describe(vote)}",
    )
