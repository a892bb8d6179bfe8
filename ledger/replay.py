"""The log's rules, replayed entry by entry: the verifier's sequential state.

Signatures are checked elsewhere (in parallel); this module checks what depends on
order (docs/audit-bundle.md §10 step 6, §10.1): who may sign what and when, per-head
ballot numbers, the voting window, the casting rules (``voting.counting.Counting``) and
the tally (``voting.tally``) against the published result.  Memory is per head, never
per ballot (``voting.headhistory``).  Voided entries are known before the replay (a
first pass collects them) and are left out of the rules and the count from the start.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ledger import canonical
from ledger.documents import AssemblyDef, convert_choices, parse_assembly, parse_roster
from ledger.entries import Entry
from ledger.errors import EncodingError
from ledger.kinds import BALLOT, FINAL, PAPER_BALLOT, PUBLISHED
from ledger.payloads import PROXY_ROLE, Ballot, PaperBallot
from ledger.replaycommittee import MAX_MESSAGES, Body, CommitteeEntries, KeyInfo
from ledger.replaytally import SecretTally
from ledger.witnesspolicy import WitnessPolicy
from voting.ballots import Channel, Vote
from voting.counting import Counting
from voting.errors import CastRefused, VotingError
from voting.heads import Roster

__all__ = ["MAX_MESSAGES", "KeyInfo", "Replayer"]

MS_PER_DAY = 86_400_000

Choices = dict[str, Any] | bytes  # a ballot's choices: parsed, or their canonical bytes


class Replayer(CommitteeEntries, SecretTally):
    """Feed entries in order; read ``failures`` and ``summary()`` at the end (the committee's
    entries: :class:`ledger.replaycommittee.CommitteeEntries`; a secret assembly's trustee
    entries and ballot proofs: :class:`ledger.replaysecret.SecretEntries`; its tally:
    :class:`ledger.replaytally.SecretTally`)."""

    fail = CommitteeEntries.fail

    def __init__(self, log_vkey: str, roster_data: bytes, voided: set[int],
                 origin: str | None = None) -> None:
        self.log_vkey = log_vkey
        self.manifest_origin = origin  # the MANIFEST's and checkpoints' origin, if known
        self.roster_data = roster_data
        self.voided = voided
        self.failures: list[str] = []
        self.failure_count = 0
        self.origin: str | None = None
        self.witness_policy: WitnessPolicy | None = None
        self.assembly: AssemblyDef | None = None
        self.roster: Roster | None = None
        self.keys: dict[str, KeyInfo] = {}
        self.officials: dict[str, str] = {}
        self.counting: Counting | None = None  # the casting rules' state, once published
        self.proxies: dict[str, set[str]] = {}
        self.registered: dict[str, set[str]] = {}  # agent -> heads it holds a written proxy of
        self.voided_transfers: dict[int, str] = {}  # entry index -> head
        self.voided_seen: set[int] = set()
        self.ballots = 0
        self.closed_at: int | None = None
        self.result_index: int | None = None
        self.result_ok: bool | None = None
        self.result_doc: dict[str, Any] | None = None
        self.result_time: int | None = None
        self.final_index: int | None = None
        self.size = 0
        self._choices: dict[bytes, dict[str, Vote]] = {}
        self._secret_init()
        self._tally_init()

    @property
    def votes(self) -> dict[tuple[str, str], Vote]:
        """The vote that counts per (head, item) so far."""
        return self.counting.votes if self.counting is not None else {}

    # -- reporting ------------------------------------------------------------------------

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
        if self.final_index is not None:
            self.fail(e.index, "nothing may follow result.final")
        elif self.result_index is not None and e.kind != FINAL:
            self.fail(e.index, "nothing may follow result.published but result.final")
        self._ceremony_gate(e.index, e.kind)
        handler = getattr(self, "_" + e.kind.replace(".", "_"))
        handler(e.index, e.time, e.body, payload)

    def _published(self, e: Entry) -> None:
        b = e.body
        self.origin = b["origin"]
        if self.manifest_origin is not None and self.origin != self.manifest_origin:
            self.fail(0, f"the log's origin {self.origin!r} is not the origin "
                         f"{self.manifest_origin!r} of the MANIFEST and the checkpoints")
        if "witness_policy" in b:  # its shape was checked with the entry's
            self.witness_policy = WitnessPolicy.from_doc(b["witness_policy"])
        if b["log_key"] != self.log_vkey:
            self.fail(0, "the log key named in the log is not the bundle's log key")
        if hashlib.sha256(self.roster_data).hexdigest() != b["roster_sha256"]:
            self.fail(0, "roster.json does not match roster_sha256")
            return
        try:
            self.assembly = parse_assembly(b["assembly"])
            self.roster = parse_roster(self.roster_data, self.assembly.settings)
            self.counting = Counting(self.assembly.settings, self.assembly.items, self.roster)
        except EncodingError as exc:
            self.assembly = self.counting = None
            self.fail(0, str(exc))

    def _voting_closed(self, index: int, t: int, body: Body, p: Any) -> None:
        if self._open_for(index, "voting.closed"):
            self.closed_at = index
            assert self.assembly is not None  # feed() judges nothing before it
            if t < self.assembly.closes_at:  # no early closing (docs/rules.md §10)
                self.fail(index, f"voting.closed at {t}, before closes_at "
                                 f"{self.assembly.closes_at}")

    def _result_published(self, index: int, t: int, body: Body, p: Any) -> None:
        if self.closed_at is None:
            self.fail(index, "result.published before voting.closed")
        if self.result_index is not None:
            self.fail(index, "a second result.published")
            return
        self.result_index = index
        self.result_doc = body["result"]
        self.result_time = t
        a, roster = self.assembly, self.roster
        assert a is not None and roster is not None  # feed() judges nothing before both
        assert self.counting is not None  # set with the roster
        if a.settings.secret:
            self.result_ok = self.check_secret_result(index, body["result"])
            return
        try:
            result = self.counting.result(a.items.values())
            mine = canonical.encode(result.to_json())
        except (VotingError, EncodingError) as exc:
            self.result_ok = False
            self.fail(index, f"the tally cannot be recomputed: {exc}")
            return
        self.result_ok = mine == canonical.encode(body["result"])
        if not self.result_ok:
            self.fail(index, "the published result differs from the recomputed tally")

    def _result_final(self, index: int, t: int, body: Body, p: Any) -> None:
        """After the result, once, naming it; ``objection_days`` or more after it."""
        if self.result_index is None or self.result_doc is None or self.result_time is None:
            self.fail(index, "result.final before result.published")
            return
        if self.final_index is not None:
            self.fail(index, "a second result.final")
            return
        self.final_index = index
        digest = hashlib.sha256(canonical.encode(self.result_doc)).hexdigest()
        if body["result_sha256"] != digest:
            self.fail(index, "result.final names another result than the published one")
        assert self.assembly is not None  # feed() judges nothing before it
        days = self.assembly.settings.objection_days
        if t < self.result_time + days * MS_PER_DAY:
            self.fail(index, f"result.final less than the {days}-day objection period after "
                             "the result")

    def _ballot(self, index: int, t: int, body: Body, p: Ballot) -> None:
        if p.encrypted is not None and not self._ballot_content_ok(index, BALLOT, p):
            self.size = index + 1
            return
        self.ballot(index, t, p.head, p.key, p.seq, p.choices_json(), p.origin,
                    secret=p.encrypted is not None)
        self._keep_sealed(index, p)

    def _paper_ballot(self, index: int, t: int, body: Body, p: PaperBallot) -> None:
        if self._need_official(index, p) and self._ballot_content_ok(index, PAPER_BALLOT, p):
            self._cast(index, t, p.head, p.seq, p.choices_json(), Channel.PAPER, None, p.voter)
            self._keep_sealed(index, p)

    def ballot(
        self, index: int, t: int, head: str, key: str, seq: int, choices: Choices, origin: str,
        *, secret: bool = False,
    ) -> None:
        """An electronic ballot (hot path: called directly by the verifier with an open
        ballot's choices; a secret one comes through :meth:`_ballot`, its proofs checked)."""
        self.size = index + 1
        if self.assembly is None:
            return
        if self.in_ceremony:
            self._ceremony_gate(index, BALLOT)
        if not secret and self.assembly.settings.secret:
            self.fail(index, "a ballot with choices in clear in a secret assembly "
                             "(wrong_ballot_mode)")
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
            # the proxy key's voter: the co-owner who signed the written proxy
            self._cast(index, t, head, seq, choices, Channel.PROXY, info.agent, info.voter)
        else:
            self._cast(index, t, head, seq, choices, Channel.ELECTRONIC, None, info.voter)

    def _votes(self, choices: Choices) -> tuple[bytes, dict[str, Vote]]:
        """(hashable key, votes) of a ballot's choices (canonical bytes or parsed)."""
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
        a, counting = self.assembly, self.counting
        if a is None or self.roster is None or counting is None:  # _published sets all or none
            return
        now = counting.roster
        if head not in self.roster.heads and (now is None or head not in now.heads):
            self.fail(index, f"head {head} is not in the roster")
            return
        if self.closed_at is not None:
            self.fail(index, f"ballot after voting.closed (entry {self.closed_at})")
            return
        if not a.opens_at <= t < a.closes_at:
            self.fail(index, f"ballot time {t} outside the voting window")
        state = counting.head(head)
        if seq != state.seq + 1:
            self.fail(index, f"head {head}: ballot number {seq}, expected {state.seq + 1}")
        state.seq = max(state.seq, seq)
        if index in self.voided:
            self.voided_seen.add(index)
            return
        try:
            key, votes = self._votes(choices)
            counting.cast(index, head, channel, votes, agent, voter, memo=key)
        except CastRefused as exc:
            self.fail(index, f"head {head}: the casting rules refuse this ballot: {exc}")
            return
        except (VotingError, ValueError, EncodingError) as exc:
            self.fail(index, f"head {head}: {exc}")
            return
        state = counting.head(head)
        state.last_time, state.last_index = t, index
