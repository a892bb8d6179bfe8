"""voting: the owners'-decision rules engine (pure functions, exact arithmetic).

Everything here works on plain data and imports only the standard library,
so the web server, the offline verifier and the ``ownervote tally`` command
share one implementation of the law (docs/rules.md).  Storage lives apart in
``voting.store.models``, which this package does not import.

Main entry points::

    roster  = build_roster(units, settings)                 # heads and areas
    votes   = effective_votes(events, settings, items=..., roster=roster)
    result  = tally(roster, items, votes, settings)         # -> AssemblyResult
    result.to_json()                                        # exact decimal strings
    check_cast(history, new, settings, items=..., roster=...)   # at cast time
    check_transition(status, wanted, timeline, now, settings)   # lifecycle

Modules: ``areas`` (area parsing and precedence), ``heads`` (units, heads,
roster, scopes), ``matters`` (art. 278 matters and thresholds), ``items``,
``ballots`` (votes, ballot events), ``settings``, ``casting`` (accept/refuse,
what counts), ``tally``, ``election``, ``needs`` (what it takes),
``lifecycle``, ``tallyfile`` (the JSON tally file), ``errors``.
"""

from voting.areas import AreaSource, Measure, format_area, parse_area, pick_area
from voting.ballots import Approval, BallotEvent, Channel, Choice, Vote, vote_problem
from voting.casting import check_cast
from voting.counting import Replay, effective_votes, replay
from voting.election import (
    CandidateResult,
    ElectionResult,
    ElectionRuleProblem,
    ElectionStatus,
    FurtherRound,
    election_rule_problem,
    further_round,
    further_round_of,
)
from voting.errors import (
    AreaError,
    CastRefused,
    ItemError,
    RefusalReason,
    RosterError,
    SettingsError,
    TallyError,
    TallyFileError,
    TransitionRefused,
    VotingError,
)
from voting.heads import Head, Roster, Scope, Unit, Usage, build_roster, head_id_for
from voting.items import Item, ItemKind
from voting.lifecycle import (
    Status,
    Timeline,
    allowed_transitions,
    check_transition,
    items_frozen,
    transitions,
)
from voting.matters import Check, Matter, Threshold, approval_check, quorum_check
from voting.needs import Need, Needs
from voting.settings import AssemblySettings, Precedence, Ranking, RevotePolicy
from voting.tally import AssemblyResult, ItemResult, Joined, tally

__all__ = [
    "Approval",
    "AreaError",
    "AreaSource",
    "AssemblyResult",
    "AssemblySettings",
    "BallotEvent",
    "CandidateResult",
    "CastRefused",
    "Channel",
    "Check",
    "Choice",
    "ElectionResult",
    "ElectionRuleProblem",
    "ElectionStatus",
    "FurtherRound",
    "Head",
    "Item",
    "ItemError",
    "ItemKind",
    "ItemResult",
    "Joined",
    "Matter",
    "Measure",
    "Need",
    "Needs",
    "Precedence",
    "RefusalReason",
    "Ranking",
    "Replay",
    "RevotePolicy",
    "Roster",
    "RosterError",
    "Scope",
    "SettingsError",
    "Status",
    "TallyError",
    "TallyFileError",
    "Threshold",
    "Timeline",
    "TransitionRefused",
    "Unit",
    "Usage",
    "Vote",
    "VotingError",
    "allowed_transitions",
    "approval_check",
    "build_roster",
    "election_rule_problem",
    "further_round",
    "further_round_of",
    "check_cast",
    "check_transition",
    "effective_votes",
    "format_area",
    "head_id_for",
    "items_frozen",
    "parse_area",
    "pick_area",
    "quorum_check",
    "replay",
    "tally",
    "transitions",
    "vote_problem",
]
