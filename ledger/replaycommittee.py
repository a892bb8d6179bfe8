"""The committee's entries as the verifier replays them (:class:`ledger.replay.Replayer`).

Officials, device keys, written proxies, co-owner representatives, units sold during
the vote and voids: who may sign them, when, and what they change in the casting
rules' state (:class:`voting.counting.Counting`).  Split from :mod:`ledger.replay`,
whose :class:`~ledger.replay.Replayer` inherits these handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.documents import AssemblyDef
from ledger.entry_rules import VOID_REASON_CHARS, transfer_problem, void_reason_fits
from ledger.payloads import (
    PROXY_ROLE,
    EntryVoided,
    KeyEnrolled,
    KeyRevoked,
    OfficialEnrolled,
    PaperBallot,
    ProxyRegistered,
    RepresentativeSet,
    UnitTransferred,
)
from voting.casting import proxy_registration_refusal
from voting.counting import Counting
from voting.heads import Roster
from voting.sales import SaleRefused

MAX_MESSAGES = 200

Body = dict[str, Any]  # an entry's body (parsed JSON)


@dataclass(slots=True)
class KeyInfo:
    head: str
    role: str
    agent: str | None
    voter: str | None
    revoked: bool = False


class CommitteeEntries:
    """The handlers of the committee's entries and of device keys (state: the Replayer's)."""

    failures: list[str]
    failure_count: int
    assembly: AssemblyDef | None
    roster: Roster | None
    counting: Counting | None
    keys: dict[str, KeyInfo]
    officials: dict[str, str]
    proxies: dict[str, set[str]]
    registered: dict[str, set[str]]
    voided: set[int]
    voided_transfers: dict[int, str]
    voided_seen: set[int]
    closed_at: int | None

    def fail(self, index: int | None, message: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_MESSAGES:
            self.failures.append(f"entry {index}: {message}" if index is not None else message)

    # -- entries --------------------------------------------------------------------------

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
        """Is ``head`` in the roster: frozen at notice, or made by a sale (voting.sales)?"""
        now = self.counting.roster if self.counting is not None else None
        if self.roster is None or (head not in self.roster.heads
                                   and (now is None or head not in now.heads)):
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
            assert self.counting is not None  # set with the roster _need_head found
            self.counting.represent(p.head, p.voter)

    def _unit_transferred(self, index: int, t: int, body: Body, p: UnitTransferred) -> None:
        """From here on the buyer votes for the unit; the seller's earlier ballots stand
        on their items (ledger.store.headstate says the same for the server).  With
        ``unit``, the seller's multi-unit head is split (voting.sales)."""
        head = p.head
        if not (self._need_official(index, p) and self._open_for(index, "a transfer")):
            return
        counting, roster = self.counting, self.roster
        if counting is None or counting.roster is None or roster is None:
            return  # feed() judges nothing before entry 0 set them
        problem = transfer_problem(roster, counting.roster, head, p.unit, p.buyer_head)
        if problem is not None:
            self.fail(index, f"{problem.code.value}: {problem.message}")
            return
        if index in self.voided:  # voided later: as if never recorded (see _entry_voided)
            self.voided_seen.add(index)
            if p.unit is None:  # a split's seller keeps voting: its later ballots are its own
                self.voided_transfers[index] = head
            return
        if p.unit is None and head in counting.transfers:
            self.fail(index, f"head {head}: a second transfer")
            return
        if p.transferred_at > t:
            self.fail(index, "the transfer time is after the entry's time")
        if counting.head(head).last_time >= p.transferred_at:
            self.fail(index, f"head {head}: a ballot from at or after the transfer still counts")
        if p.unit is None:
            counting.transfer(head, p.buyer)  # the buyer's ballots are judged among theirs
            return
        try:
            counting.sell(head, p.unit, p.buyer, p.buyer_head)
        except SaleRefused as exc:
            self.fail(index, str(exc))

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
        state = self.counting.heads.get(head) if head is not None and self.counting else None
        if state is not None and state.last_index > target:
            self.fail(index, f"voids transfer {target} while a later ballot of head {head} "
                             "counts")
        self.voided_seen.discard(target)  # a second void of the same target fails too

