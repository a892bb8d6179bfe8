"""``ownervote trustee``: a trustee's side of a secret-ballot assembly, on its own computer.

No server, no database: every command reads the trustee's secret files (``--key-dir``,
0600) and the *ceremony folder* of public signed documents (``--ceremony``), and writes
its own signed documents into that folder for the committee to publish in the ledger.
The procedure is in docs/trustee-guide.md; the documents in docs/secret-ballots.md §12.

    init     make this trustee's keys; write its announcement
    deal     deal shares of a fresh polynomial to every announced trustee
    confirm  open and check the shares dealt to this trustee; confirm or complain
    answer   reveal the shares that trustees complained about (the dealer's defence)
    status   where the ceremony stands; the joint key (public: no key needed)
    decrypt  recompute the totals from the ballots' ciphertexts and publish this
             trustee's decryption shares with their proofs
    combine  check every decryption share and combine k of them (public)

Errors: one line on standard error naming the file or field, exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ledger.secret import dkg, schnorr, transport, trustee_sig
from ledger.secret import trustee_docs as td
from ledger.secret.ceremony import Ceremony, Status
from ownervote.commands import trustee_files as files
from ownervote.commands.invocation import fail
from ownervote.commands.trustee_decrypt import combine, decrypt
from ownervote.commands.trustee_files import (
    CEREMONY,
    CLOSED,
    KEY_DIR,
    guarded,
    load_trustee,
    open_own_share,
)


@click.group()
def trustee() -> None:
    """A trustee's key ceremony and decryption, on the trustee's own computer."""


@trustee.command()
@KEY_DIR
@CEREMONY
@click.option("--origin", required=True, help="The assembly's log origin (on the notice).")
@click.option("--trustees", "n", type=int, required=True, help="n: how many trustees.")
@click.option("--threshold", "k", type=int, default=None,
              help="k: how many can decrypt (default: a majority of n).")
@click.option("--index", type=int, required=True, help="This trustee's number, 1…n.")
@click.option("--name", required=True, help="This trustee's name as the committee lists it.")
@guarded
def init(key_dir: Path, ceremony: Path, origin: str, n: int, k: int | None, index: int,
         name: str) -> None:
    """Create this trustee's signing and transport keys; publish its announcement."""
    k = dkg.default_threshold(n) if k is None else k
    dkg.check_parameters(n, k)
    dkg.check_index(index, n, "--index")
    for existing in (key_dir / files.KEY_FILE, ceremony / f"announcement-{index}.json"):
        if existing.exists():
            fail(f"{existing}: already exists; a trustee is initialised once per ceremony")
    keys = files.TrusteeKeys(origin, index, n, k, name, trustee_sig.new_signing_key(),
                             transport.new_transport_key(), files.passphrase(new=True))
    announcement = td.sign(keys.announcement(), keys.signing)
    td.parse_signed(announcement.to_json(), "--name/--origin")  # same limits as any reader
    files.save_keys(key_dir, keys)
    path = files.publish(ceremony, announcement)
    click.echo(f"trustee {index} of {n} (threshold {k}): keys in {key_dir / files.KEY_FILE}")
    click.echo(f"announcement: {path}")
    click.echo(f"fingerprint (read it to the committee): "
               f"{trustee_sig.fingerprint(trustee_sig.public_bytes(keys.signing))}")


@trustee.command()
@KEY_DIR
@CEREMONY
@guarded
def deal(key_dir: Path, ceremony: Path) -> None:
    """Deal: commitments, proofs of knowledge and one sealed share for every trustee."""
    keys, state = load_trustee(key_dir, ceremony)
    status = state.status()
    if status.missing_announcements:
        fail(f"{ceremony}: no announcement yet from trustee(s) "
             f"{', '.join(map(str, status.missing_announcements))}")
    if keys.trustee in state.dealings:
        fail(f"{ceremony}: dealing-{keys.trustee}.json is already published")
    poly = dkg.random_polynomial(keys.k)
    files.save_polynomial(key_dir, keys, poly)  # refuses if one exists: never deal twice
    commitments = poly.commitments()
    proofs = tuple(schnorr.prove(a, c, schnorr.coefficient_context(keys.origin, keys.trustee, j))
                   for j, (a, c) in enumerate(zip(poly.coefficients, commitments, strict=True)))
    sealed = tuple(
        transport.seal(poly(i), origin=keys.origin, dealer=keys.trustee, recipient=i,
                       recipient_key=state.announcement(i).transport_key)
        for i in range(1, keys.n + 1))
    doc = td.Dealing(keys.origin, keys.trustee, commitments, proofs, sealed)
    click.echo(f"dealing: {files.publish(ceremony, td.sign(doc, keys.signing))}")


@trustee.command()
@KEY_DIR
@CEREMONY
@CLOSED
@guarded
def confirm(key_dir: Path, ceremony: Path, closed: bool) -> None:
    """Open every share dealt to this trustee: confirm the good, complain about the bad."""
    keys, state = load_trustee(key_dir, ceremony)
    if keys.trustee in state.confirmations:
        fail(f"{ceremony}: confirmation-{keys.trustee}.json is already published")
    missing = state.status().missing_dealings
    if missing and not closed:
        fail(f"{ceremony}: no dealing yet from trustee(s) {', '.join(map(str, missing))}")
    good: list[tuple[int, str]] = []
    for dealer in sorted(state.dealings):
        value, problem = open_own_share(keys, state, dealer)
        if value is not None:
            good.append((dealer, state.dealings[dealer].digest()))
            continue
        complaint = td.Complaint(keys.origin, keys.trustee, dealer,
                                 state.dealings[dealer].digest(), problem[:td.MAX_REASON])
        click.echo(f"COMPLAINT against trustee {dealer}: {problem}")
        click.echo(f"  {files.publish(ceremony, td.sign(complaint, keys.signing))}")
    doc = td.Confirmation(keys.origin, keys.trustee, tuple(good))
    click.echo(f"confirmed the dealings of trustee(s) {', '.join(str(i) for i, _ in good)}: "
               f"{files.publish(ceremony, td.sign(doc, keys.signing))}")


@trustee.command()
@KEY_DIR
@CEREMONY
@guarded
def answer(key_dir: Path, ceremony: Path) -> None:
    """Answer every complaint against this trustee by revealing that trustee's share."""
    keys, state = load_trustee(key_dir, ceremony)
    against = sorted(c for (c, d) in state.complaints if d == keys.trustee)
    if not against:
        click.echo("no complaint against this trustee")
        return
    poly = files.load_polynomial(key_dir, keys)
    if poly.commitments() != state.dealing(keys.trustee).commitments:
        fail(f"{key_dir / files.POLYNOMIAL_FILE}: not the polynomial of the published dealing")
    for complainant in against:
        doc = td.Answer(keys.origin, keys.trustee, complainant, poly(complainant))
        click.echo(f"answer to trustee {complainant}: "
                   f"{files.publish(ceremony, td.sign(doc, keys.signing))}")


def _status_json(state: Ceremony, status: Status) -> dict[str, Any]:
    return {
        "origin": state.origin, "n": state.n, "k": state.k, "phase": status.phase,
        "missing_announcements": list(status.missing_announcements),
        "missing_dealings": list(status.missing_dealings),
        "open_complaints": [{"complainant": c, "dealer": d} for c, d in status.open_complaints],
        "undecided": list(status.undecided), "qualified": list(status.qualified),
        "holders": list(status.holders),
        "key": status.key.hex() if status.key is not None else None,
        "trustees": [{"trustee": i, "name": state.announcement(i).name,
                      "fingerprint": trustee_sig.fingerprint(state.announcement(i).signing_key),
                      "verification_key": status.verification_keys[i].hex()
                      if i in status.verification_keys else None}
                     for i in sorted(state.announcements)],
    }


@trustee.command()
@CEREMONY
@CLOSED
@guarded
def status(ceremony: Path, closed: bool) -> None:
    """Check every document of the ceremony and print where it stands (JSON)."""
    state = Ceremony.build(files.read_ceremony(ceremony))
    click.echo(json.dumps(_status_json(state, state.status(closed=closed)),
                          ensure_ascii=False, indent=2))


trustee.add_command(decrypt)
trustee.add_command(combine)
