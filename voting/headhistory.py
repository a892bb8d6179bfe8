"""A head's state while a vote is replayed: its ballot number and a pruned history.

:class:`HeadState` keeps exactly what the casting rules read of a head's accepted
ballots (:func:`prune` says what), so the memory of :class:`voting.counting.Counting`
(the verifier's replay, the tally file) is per head, never per ballot.
"""

from __future__ import annotations

from typing import Any

from voting.ballots import BallotEvent, Channel


def prune(history: list[BallotEvent]) -> list[BallotEvent]:
    """Keep what ``check_cast`` reads (its documented history contract).

    The latest ballot (highest ``seq``), the first ballot naming a voter (any
    channel: the co-owner rule), and the first two ballots per (item, paper or not):
    enough to tell 0, 1 or at least 2 earlier ballots on each item and form.
    """
    keep: set[int] = {len(history) - 1} if history else set()
    for i, e in enumerate(history):
        if e.voter is not None:
            keep.add(i)
            break
    seen: dict[tuple[str, bool], int] = {}
    for i, e in enumerate(history):
        for item in e.choices:
            k = (item, e.channel is Channel.PAPER)
            if seen.get(k, 0) < 2:
                seen[k] = seen.get(k, 0) + 1
                keep.add(i)
    return [history[i] for i in sorted(keep)]


# a ballot not kept, as the fields of its BallotEvent (made only if the rules read it)
_Fields = tuple[int, str, Channel, Any, str | None, str | None]
# what the casting rules read of a head's history: ((item, paper) -> count, sorted; voter)
_Signature = tuple[tuple[tuple[tuple[str, bool], int], ...], str | None]

_SIGS: dict[_Signature, int] = {}  # history signature -> small int (cheap to hash in memo keys)


class HeadState:
    """A head's ballot number and the accepted ballots the casting rules can read.

    Kept incrementally with the same rule as :func:`prune`: the latest ballot,
    the first ballot naming a voter and the first two ballots per
    (item, paper or not).  Memory per head is bounded by the number of items.
    Ballots that are not kept are never turned into ``BallotEvent`` objects
    unless the rules need to see the latest one.
    """

    __slots__ = ("seq", "sig", "last_time", "last_index", "_kept", "_counts", "_last",
                 "_voter")

    def __init__(self, seq: int = 0) -> None:
        self.seq = seq
        self.last_time = -1  # time of the latest accepted ballot (Unix ms)
        self.last_index = -1  # its entry index
        self._kept: dict[int, BallotEvent] = {}  # kept for good, by seq
        self._counts: dict[tuple[str, bool], int] = {}
        self._last: BallotEvent | _Fields | None = None
        self._voter: str | None = None
        # everything of the history the casting rules read, except the latest seq (which
        # is always below a new ballot's): counts per (item, form) and the first voter
        self.sig = _SIGS.setdefault(((), None), len(_SIGS))

    def items(self) -> frozenset[str]:
        """The items the head's accepted ballots vote on."""
        return frozenset(item for item, _paper in self._counts)

    @property
    def history(self) -> list[BallotEvent]:
        last = self._last
        if isinstance(last, tuple):  # a BallotEvent is not a tuple
            last = self._last = BallotEvent(*last)
        if last is None or last.seq in self._kept:
            return list(self._kept.values())
        return [*self._kept.values(), last]

    def add(self, e: BallotEvent) -> None:
        self.add_fields(e.seq, e.head_id, e.channel, e.choices, e.agent, e.voter, e)

    def add_fields(
        self,
        seq: int,
        head: str,
        channel: Channel,
        votes: Any,
        agent: str | None,
        voter: str | None,
        event: BallotEvent | None = None,
    ) -> None:
        """Record an accepted ballot; build its event only if it is kept."""
        keep = False
        if self._voter is None and voter is not None:
            self._voter = voter
            keep = True
        paper = channel is Channel.PAPER
        counts = self._counts
        for item in votes:
            k = (item, paper)
            n = counts.get(k, 0)
            if n < 2:
                counts[k] = n + 1
                keep = True
        if keep:
            event = event or BallotEvent(seq, head, channel, votes, agent, voter)
            self._kept[seq] = event
            sig = (tuple(sorted(counts.items())), self._voter)
            self.sig = _SIGS.setdefault(sig, len(_SIGS))
        self._last = event if event is not None else (seq, head, channel, votes, agent, voter)
