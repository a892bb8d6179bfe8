"""The log's rules, replayed entry by entry: the verifier's sequential state.

Signatures are checked elsewhere (in parallel); this module checks everything
that depends on order: what came first, who may sign what, per-head ballot
numbers, the voting window, the casting rules (``voting.casting.check_cast``)
and finally the tally (``voting.tally``) against the published result.

Memory is per head, never per ballot: for each head the last ballot number and
a *pruned* history of accepted ballots that keeps exactly what the casting
rules look at (the latest ballot, the first electronic ballot naming a voter,
and the last two ballots per item and form), plus the vote that counts per
(head, item).  Voided entries are known before the replay (a first pass
collects them) and are left out of the rules and the count from the start.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ledger import canonical
from ledger.documents import AssemblyDef, convert_choices, parse_assembly, parse_roster
from ledger.entries import Entry
from ledger.entry_rules import VOID_REASON_CHARS, units_of_a_split_head, void_reason_fits
from ledger.errors import EncodingError
from ledger.kinds import PUBLISHED
from ledger.payloads import (
    PROXY_ROLE,
    Ballot,
    EntryVoided,
    KeyEnrolled,
    KeyRevoked,
    OfficialEnrolled,
    PaperBallot,
    ProxyRegistered,
    RepresentativeSet,
    UnitTransferred,
)
from ledger.replayheads import HeadState
from voting.ballots import BallotEvent, Channel, Vote
from voting.casting import Transfer, check_cast, proxy_registration_refusal
from voting.errors import CastRefused, VotingError
from voting.heads import Roster
from voting.tally import tally

MAX_MESSAGES = 200
MAX_MEMO = 200_000

Body = dict[str, Any]  # an entry's body (parsed JSON)
Choices = dict[str, Any] | bytes  # a ballot's choices: parsed, or their canonical bytes
# an accepted combination: (head, history signature, channel, canonical choices, voter,
# representative, transfer) -- check_cast reads nothing else (see Replayer._cast)
_Memo = tuple[str, int, Channel, bytes, str | None, str | None, Transfer | None]


@dataclass(slots=True)
class KeyInfo:
    head: str
    role: str
    agent: str | None
    voter: str | None
    revoked: bool = False


class Replayer:
    """Feed entries in order; read ``failures`` and ``summary()`` at the end."""

    def __init__(self, log_vkey: str, roster_data: bytes, voided: set[int]) -> None:
        self.log_vkey = log_vkey
        self.roster_data = roster_data
        self.voided = voided
        self.failures: list[str] = []
        self.failure_count = 0
        self.origin: str | None = None
        self.assembly: AssemblyDef | None = None
        self.roster: Roster | None = None
        self.keys: dict[str, KeyInfo] = {}
        self.officials: dict[str, str] = {}
        self.heads: dict[str, HeadState] = {}
        self.proxies: dict[str, set[str]] = {}
        self.agents: dict[str, set[str]] = {}  # agent -> heads it cast proxy ballots for
        self.registered: dict[str, set[str]] = {}  # agent -> heads it holds a written proxy of
        self.representatives: dict[str, str] = {}
        self.transfers: dict[str, Transfer] = {}
        self.voided_transfers: dict[int, str] = {}  # entry index -> head
        self.votes: dict[tuple[str, str], Any] = {}
        self.voided_seen: set[int] = set()
        self.ballots = 0
        self.closed_at: int | None = None
        self.result_index: int | None = None
        self.result_ok: bool | None = None
        self.result_doc: dict[str, Any] | None = None
        self.size = 0
        self._choices: dict[bytes, dict[str, Vote]] = {}
        self._accepted: set[_Memo] = set()

    # -- reporting ------------------------------------------------------------------------

    def fail(self, index: int | None, message: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_MESSAGES:
            self.failures.append(f"entry {index}: {message}" if index is not None else message)

    # -- entries --------------------------------------------------------------------------

    def feed(self, e: Entry) -> None:
        self.size = e.index + 1
        if e.index == 0:
            if e.kind != PUBLISHED:
                self.fail(0, "the first entry must be assembly.published")
                return
            self._published(e)
            return
        if self.assembly is None:
            return  # already reported; nothing below can be judged
        if e.kind == PUBLISHED:
            self.fail(e.index, "assembly.published may only be the first entry")
            return
        payload = e.payload
        if payload is not None and payload.origin != self.origin:
            self.fail(e.index, f"payload origin {payload.origin!r} is not this log's")
            return
        if self.result_index is not None:
            self.fail(e.index, "nothing may follow result.published")
        handler = getattr(self, "_" + e.kind.replace(".", "_"))
        handler(e.index, e.time, e.body, payload)

    def _published(self, e: Entry) -> None:
        b = e.body
        self.origin = b["origin"]
        if b["log_key"] != self.log_vkey:
            self.fail(0, "the log key named in the log is not the bundle's log key")
        if hashlib.sha256(self.roster_data).hexdigest() != b["roster_sha256"]:
            self.fail(0, "roster.json does not match roster_sha256")
            return
        try:
            self.assembly = parse_assembly(b["assembly"])
            self.roster = parse_roster(self.roster_data, self.assembly.settings)
        except EncodingError as exc:
            self.assembly = None
            self.fail(0, str(exc))

    def _official_enrolled(self, index: int, t: int, body: Body, p: OfficialEnrolled) -> None:
        if p.official in self.officials:
            self.fail(index, f"official key {p.official[:16]} enrolled twice")
        self.officials[p.official] = p.ref

    def _need_official(self, index: int, p: PaperBallot | ProxyRegistered
                       | RepresentativeSet | UnitTransferred
                       | EntryVoided) -> bool:
        if p.official not in self.officials:
            self.fail(index, f"signed by official key {p.official[:16]} not enrolled before")
            return False
        return True

    def _need_head(self, index: int, head: str) -> bool:
        if self.roster is None or head not in self.roster.heads:
            self.fail(index, f"head {head} is not in the roster")
            return False
        return True

    def _open_for(self, index: int, what: str) -> bool:
        if self.closed_at is not None:
            self.fail(index, f"{what} after voting.closed (entry {self.closed_at})")
            return False
        return True

    def _key_enrolled(self, index: int, t: int, body: Body, p: KeyEnrolled) -> None:
        if not (self._need_head(index, p.head) and self._open_for(index, "key enrolment")):
            return
        if p.key in self.keys:
            self.fail(index, f"key {p.key[:16]} enrolled twice")
            return
        if p.role == PROXY_ROLE and p.agent not in self.proxies.get(p.head, ()):
            self.fail(index, f"proxy key for head {p.head} without a registered proxy")
            return
        self.keys[p.key] = KeyInfo(p.head, p.role, p.agent, p.voter)

    def _key_revoked(self, index: int, t: int, body: Body, p: KeyRevoked) -> None:
        info = self.keys.get(p.key)
        if info is None or info.head != p.head:
            self.fail(index, f"revokes key {p.key[:16]} not enrolled for head {p.head}")
        elif info.revoked:
            self.fail(index, f"key {p.key[:16]} revoked twice")
        else:
            info.revoked = True

    def _proxy_registered(self, index: int, t: int, body: Body, p: ProxyRegistered) -> None:
        if (
            self._need_official(index, p)
            and self._need_head(index, p.head)
            and self._open_for(index, "proxy registration")
        ):
            registered = self.registered.setdefault(p.agent, set())
            if p.head in registered:
                self.fail(index, f"agent {p.agent} is registered twice for head {p.head}")
                return
            assert self.assembly is not None  # feed() judges nothing before entry 0
            refused = proxy_registration_refusal(p.head, registered, self.assembly.settings)
            if refused is not None:
                self.fail(index, f"proxy of agent {p.agent} for head {p.head}: {refused.value} "
                                 f"(proxy cap {self.assembly.settings.proxy_cap})")
                return
            registered.add(p.head)
            self.proxies.setdefault(p.head, set()).add(p.agent)

    def _representative_set(self, index: int, t: int, body: Body, p: RepresentativeSet) -> None:
        if (
            self._need_official(index, p)
            and self._need_head(index, p.head)
            and self._open_for(index, "representative")
        ):
            self.representatives[p.head] = p.voter

    def _unit_transferred(self, index: int, t: int, body: Body, p: UnitTransferred) -> None:
        """From here on the buyer votes for the head; the seller's earlier ballots stand
        on their items (ledger.store.headstate says the same for the server)."""
        head = p.head
        if not (self._need_official(index, p) and self._need_head(index, head)
                and self._open_for(index, "a transfer")):
            return
        assert self.roster is not None  # _need_head found the head in it
        split = units_of_a_split_head(self.roster, head)
        if split is not None:
            self.fail(index, f"head {head} counts units {', '.join(split)} as one owner: the "
                             "sale of one of them cannot be recorded in this assembly")
            return
        if index in self.voided:  # voided later: as if never recorded (see _entry_voided)
            self.voided_seen.add(index)
            self.voided_transfers[index] = head
            return
        if head in self.transfers:
            self.fail(index, f"head {head}: a second transfer")
            return
        if p.transferred_at > t:
            self.fail(index, "the transfer time is after the entry's time")
        state = self.heads.get(head) or HeadState()
        if state.last_time >= p.transferred_at:
            self.fail(index, f"head {head}: a ballot from at or after the transfer still counts")
        self.transfers[head] = Transfer(p.buyer, state.items())
        self.heads[head] = HeadState(state.seq)  # the buyer's ballots are judged among theirs
        self.representatives.pop(head, None)

    def _entry_voided(self, index: int, t: int, body: Body, p: EntryVoided) -> None:
        if not (self._need_official(index, p) and self._open_for(index, "a void")):
            return
        if not void_reason_fits(p.reason):
            shortest, longest = VOID_REASON_CHARS
            self.fail(index, f"the reason of a void must be {shortest} to {longest} characters")
        target = p.target
        if target not in self.voided_seen:
            self.fail(index, f"voids entry {target}, which is not an earlier ballot or transfer")
        head = self.voided_transfers.pop(target, None)
        state = self.heads.get(head) if head is not None else None
        if state is not None and state.last_index > target:
            self.fail(index, f"voids transfer {target} while a later ballot of head {head} "
                             "counts")
        self.voided_seen.discard(target)  # a second void of the same target fails too

    def _voting_closed(self, index: int, t: int, body: Body, p: Any) -> None:
        if self._open_for(index, "voting.closed"):
            self.closed_at = index

    def _result_published(self, index: int, t: int, body: Body, p: Any) -> None:
        if self.closed_at is None:
            self.fail(index, "result.published before voting.closed")
        if self.result_index is not None:
            self.fail(index, "a second result.published")
            return
        self.result_index = index
        self.result_doc = body["result"]
        a, roster = self.assembly, self.roster
        assert a is not None and roster is not None  # feed() judges nothing before both
        try:
            result = tally(roster, a.items.values(), self.votes, a.settings)
            mine = canonical.encode(result.to_json())
        except (VotingError, EncodingError) as exc:
            self.result_ok = False
            self.fail(index, f"the tally cannot be recomputed: {exc}")
            return
        self.result_ok = mine == canonical.encode(body["result"])
        if not self.result_ok:
            self.fail(index, "the published result differs from the recomputed tally")

    def _ballot(self, index: int, t: int, body: Body, p: Ballot) -> None:
        self.ballot(index, t, p.head, p.key, p.seq, p.choices_json(), p.origin)

    def _paper_ballot(self, index: int, t: int, body: Body, p: PaperBallot) -> None:
        if self._need_official(index, p):
            self._cast(index, t, p.head, p.seq, p.choices_json(), Channel.PAPER, None, None)

    def ballot(
        self, index: int, t: int, head: str, key: str, seq: int, choices: Choices, origin: str
    ) -> None:
        """An electronic ballot (hot path: called directly by the verifier)."""
        self.size = index + 1
        if self.assembly is None:
            return
        if origin != self.origin:
            self.fail(index, f"payload origin {origin!r} is not this log's")
            return
        if self.result_index is not None:
            self.fail(index, "nothing may follow result.published")
        info = self.keys.get(key)
        if info is None:
            self.fail(index, f"ballot signed by key {key[:16]} not enrolled before")
            return
        if info.revoked:
            self.fail(index, f"ballot signed by revoked key {key[:16]}")
            return
        if info.head != head:
            self.fail(index, f"key {key[:16]} is enrolled for head {info.head}, not {head}")
            return
        if info.role == PROXY_ROLE:
            self._cast(index, t, head, seq, choices, Channel.PROXY, info.agent, None)
        else:
            self._cast(index, t, head, seq, choices, Channel.ELECTRONIC, None, info.voter)

    def _votes(self, choices: Choices) -> tuple[bytes, dict[str, Vote]]:
        """(hashable key, votes) of a ballot's choices; ``choices`` may be their canonical
        bytes (from the fast path) or the parsed object."""
        key = choices if type(choices) is bytes else canonical.encode(choices)
        votes = self._choices.get(key)
        if votes is None:
            parsed = canonical.decode(key) if isinstance(choices, bytes) else choices
            votes = convert_choices(parsed)
            if len(self._choices) < 100_000:
                self._choices[key] = votes
        return key, votes

    def _cast(
        self,
        index: int,
        t: int,
        head: str,
        seq: int,
        choices: Choices,
        channel: Channel,
        agent: str | None,
        voter: str | None,
    ) -> None:
        self.ballots += 1
        a = self.assembly
        if a is None or self.roster is None:  # _published sets both or neither
            return
        if head not in self.roster.heads:
            self.fail(index, f"head {head} is not in the roster")
            return
        if self.closed_at is not None:
            self.fail(index, f"ballot after voting.closed (entry {self.closed_at})")
            return
        if not a.opens_at <= t < a.closes_at:
            self.fail(index, f"ballot time {t} outside the voting window")
        state = self.heads.get(head)
        if state is None:
            state = self.heads[head] = HeadState()
        if seq != state.seq + 1:
            self.fail(index, f"head {head}: ballot number {seq}, expected {state.seq + 1}")
        state.seq = max(state.seq, seq)
        if index in self.voided:
            self.voided_seen.add(index)
            return
        rep = self.representatives.get(head)
        transfer = self.transfers.get(head)
        try:
            key, votes = self._votes(choices)
            # check_cast is pure and reads of the history only what state.sig stands for
            # (and the latest seq, always lower): an accepted combination is accepted again.
            memo = None if agent is not None else (head, state.sig, channel, key, voter, rep,
                                                   transfer)
            if memo is not None and memo in self._accepted:
                state.add_fields(index, head, channel, votes, agent, voter)
            else:
                event = BallotEvent(index, head, channel, votes, agent, voter)
                check_cast(
                    state.history,
                    event,
                    a.settings,
                    items=a.items,
                    roster=self.roster,
                    agent_heads=self.agents.get(agent, ()) if agent is not None else (),
                    representative=rep,
                    transfer=transfer,
                )
                if memo is not None and len(self._accepted) < MAX_MEMO:
                    self._accepted.add(memo)
                state.add(event)
        except CastRefused as exc:
            self.fail(index, f"head {head}: the casting rules refuse this ballot: {exc}")
            return
        except (VotingError, ValueError, EncodingError) as exc:
            self.fail(index, f"head {head}: {exc}")
            return
        state.last_time, state.last_index = t, index
        if agent is not None:
            self.agents.setdefault(agent, set()).add(head)
        votes_of = self.votes
        for item_id, vote in votes.items():
            votes_of[(head, item_id)] = vote
