"""``ownervote trustee decrypt`` and ``combine``: the tally's decryption, by k trustees.

``decrypt`` never decrypts a ciphertext it is given.  With ``--bundle`` (the way to use it)
it verifies the assembly's audit bundle as ``ownervote verify`` does and derives every
total itself from the log: the ballots that count under the casting rules, each weighted
by its head's counted area (:mod:`ledger.replaytally`, docs/secret-ballots.md §13) — so
every counting ballot and nothing else is summed, with the roster's weights.  With
``--totals`` it reads the *terms* of every total (each counting ballot's ciphertext, entry
and weight) and adds them itself (:mod:`ledger.secret.totals`, which refuses totals of
too few ballots or of different ballots for one item; §12.5 says what this cannot check).
Either way it shows the trustee how many ballots and how much area each item sums, and
only then publishes ``D = s·A`` with proofs for exactly those sums.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click

from ledger.errors import LedgerError
from ledger.replay import Replayer
from ledger.secret import dkg, parts, totals
from ledger.secret import trustee_docs as td
from ledger.secret.ceremony import Ceremony, Status
from ledger.secret.errors import SecretBallotError
from ledger.secret.group import Point, base
from ledger.verifier import verify_bundle
from ownervote.commands import trustee_files as files
from ownervote.commands.invocation import fail
from ownervote.commands.trustee_files import (
    CEREMONY,
    CLOSED,
    KEY_DIR,
    guarded,
    load_trustee,
    open_own_share,
)
from voting.errors import VotingError

TOTALS = click.option("--totals", "totals_file", default=None,
                      type=click.Path(dir_okay=False, path_type=Path),
                      help="The terms of every total: each counting ballot's ciphertext, "
                           "entry and weight (docs/secret-ballots.md §12.5).")
BUNDLE = click.option("--bundle", "bundle", default=None,
                      type=click.Path(dir_okay=False, exists=True, path_type=Path),
                      help="The assembly's audit bundle after voting closed: verified, then "
                           "every total derived from its log (instead of --totals).")
LOG_KEY = click.option("--log-key", default=None,
                       help="The log key printed on the notice (pins the bundle's).")
MIN_BALLOTS = click.option("--min-ballots", type=click.IntRange(1), default=2,
                           show_default=True,
                           help="Refuse a total of fewer ballots (1 only for a scope with a "
                                "single voter, whose vote its total then is).")


def _final(state: Ceremony, closed: bool, ceremony: Path) -> Status:
    status = state.status(closed=closed)
    if not status.final:
        fail(f"{ceremony}: the key is not final (phase {status.phase}; missing dealings "
             f"{list(status.missing_dealings)}, open complaints "
             f"{[f'{c} against {d}' for c, d in status.open_complaints]}, undecided "
             f"{list(status.undecided)})")
    return status


def _recompute(path: Path, state: Ceremony, status: Status, min_ballots: int) -> totals.Recomputed:
    result = totals.recompute(files.read_json(path), path.name, min_ballots=min_ballots)
    if result.origin != state.origin:
        fail(f"{path}.origin: {result.origin!r} is not this ceremony's {state.origin!r}")
    if result.key != status.key:
        fail(f"{path}.key: not the joint key of this ceremony")
    return result


@dataclass(frozen=True)
class Summary:
    item: str
    ballots: int
    area: int  # hundredths of m²


def _from_bundle(path: Path, state: Ceremony, status: Status, log_key: str | None,
                 ) -> tuple[Point, tuple[parts.Total, ...], list[Summary]]:
    """Verify the bundle, then sum its counting ballots (docs/secret-ballots.md §13)."""
    found: list[Replayer] = []
    try:
        report = verify_bundle(path, log_key=log_key, on_replayed=found.append)
    except LedgerError as exc:
        fail(f"{path}: {exc}")
    problems = [f"{name}: {f}" for name, fails in report.checks.items() for f in fails]
    if problems:
        fail(f"{path} does not verify, refusing to decrypt:\n  " + "\n  ".join(problems[:20]))
    replayer = found[0] if found else None
    if replayer is None or replayer.closed_at is None:
        fail(f"{path}: voting is not closed in this bundle")
    try:
        encrypted = replayer.encrypted_tally()
    except (SecretBallotError, VotingError, ValueError) as exc:
        fail(f"{path}: the totals cannot be derived: {exc}")
    if encrypted.origin != state.origin:
        fail(f"{path}: the log {encrypted.origin!r} is not this ceremony's {state.origin!r}")
    if encrypted.key != status.key:
        fail(f"{path}: the ballots are encrypted to another key than this ceremony's")
    summary = [Summary(t.item, len(t.entries), t.participating.area) for t in encrypted.items]
    return encrypted.key, encrypted.totals, summary


def _totals(totals_file: Path | None, bundle: Path | None, state: Ceremony, status: Status,
            min_ballots: int, log_key: str | None,
            ) -> tuple[Point, tuple[parts.Total, ...], list[Summary], str]:
    if (totals_file is None) == (bundle is None):
        fail("give exactly one of --bundle (the way to use it) and --totals")
    if bundle is not None:
        return (*_from_bundle(bundle, state, status, log_key), str(bundle))
    assert totals_file is not None
    result = _recompute(totals_file, state, status, min_ballots)
    return (result.key, result.totals,
            [Summary(s.item, s.ballots, s.area_weight) for s in result.summary], str(totals_file))


def _own_share(keys: files.TrusteeKeys, state: Ceremony, status: Status) -> int:
    received: dict[int, int] = {}
    for dealer in status.qualified:
        value, problem = open_own_share(keys, state, dealer)
        if value is None:
            revealed = state.answers.get((dealer, keys.trustee))
            doc = revealed.document if revealed is not None else None
            if not isinstance(doc, td.Answer) or not dkg.verify_share(
                    doc.share, state.dealing(dealer).commitments, keys.trustee):
                fail(f"no valid share from qualified dealer {dealer}: {problem}")
            value = doc.share
        received[dealer] = value
    share = dkg.secret_share(received, status.qualified)
    if base(share) != status.verification_keys[keys.trustee]:
        fail(f"this trustee's share does not match its verification key Y_{keys.trustee}")
    return share


@click.command()
@KEY_DIR
@CEREMONY
@BUNDLE
@TOTALS
@LOG_KEY
@MIN_BALLOTS
@CLOSED
@click.option("--yes", is_flag=True, help="Do not ask before publishing the shares.")
@guarded
def decrypt(key_dir: Path, ceremony: Path, bundle: Path | None, totals_file: Path | None,
            log_key: str | None, min_ballots: int, closed: bool, yes: bool) -> None:
    """Recompute the totals from the ballots' ciphertexts (from the verified audit bundle,
    or a file of terms), then publish this trustee's decryption shares of exactly those
    totals, with their proofs."""
    keys, state = load_trustee(key_dir, ceremony)
    status = _final(state, closed, ceremony)
    if keys.trustee not in status.qualified:
        click.echo(f"warning: this trustee's own dealing is not in the qualified set "
                   f"{list(status.qualified)}: the ballots are secret only if those dealers "
                   f"do not all collude", err=True)
    if keys.trustee in state.decryptions:
        fail(f"{ceremony}: decryption-{keys.trustee}.json is already published")
    key, totals_, summary, source = _totals(totals_file, bundle, state, status, min_ballots,
                                            log_key)
    share = _own_share(keys, state, status)
    click.echo(f"{len(totals_)} totals recomputed from {source}:")
    for s in summary:
        area = f", area {s.area // 100}.{s.area % 100:02d} m²" if s.area else ""
        click.echo(f"  item {s.item}: {s.ballots} ballots{area}")
    click.echo("Compare these with the published participation of each item.")
    if not yes:
        click.confirm("Publish this trustee's decryption shares of these totals?", abort=True)
    doc = td.Decryption(keys.origin, keys.trustee,
                        parts.totals_digest(keys.origin, key, totals_),
                        parts.make_shares(keys.origin, keys.trustee, share, totals_))
    click.echo(f"decryption: {files.publish(ceremony, td.sign(doc, keys.signing))}")


@click.command()
@CEREMONY
@BUNDLE
@TOTALS
@LOG_KEY
@MIN_BALLOTS
@CLOSED
@guarded
def combine(ceremony: Path, bundle: Path | None, totals_file: Path | None, log_key: str | None,
            min_ballots: int, closed: bool) -> None:
    """Check every published decryption share and combine k per total into m·G (JSON)."""
    state = Ceremony.build(files.read_ceremony(ceremony))
    status = _final(state, closed, ceremony)
    assert status.key is not None
    _key, totals_, _summary, _source = _totals(totals_file, bundle, state, status, min_ballots,
                                               log_key)
    report = parts.combine_ceremony(state, totals_, closed=closed)
    click.echo(json.dumps({
        "origin": state.origin, "key": status.key.hex(),
        "trustees": list(report.combined[0].trustees) if report.combined else [],
        "invalid": {str(i): why for i, why in report.invalid.items()},
        "totals": [{"item": c.total.item, "option": c.total.option, "kind": c.total.kind,
                    "m_point": c.m_point.hex()} for c in report.combined],
    }, ensure_ascii=False, indent=2))
