"""Synthetic assemblies: a roster, keys and signed ballots made up from a seed.

Used by the tests, the benchmark (``bench/verify.py``) and demos.  Keys are
derived from the seed, so worker processes can sign ballots for any head
without shipping private keys around.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric import ec

from ledger import canonical
from ledger.ballots import ballot_payload, key_id, sign_p256, signing_message, spki
from ledger.documents import grouped_roster, item_doc
from ledger.kinds import BALLOT
from ledger.memlog import MemLog
from ledger.note import Signer
from voting.heads import Unit
from voting.settings import AssemblySettings

_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
OPENS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
CLOSES = OPENS + 15 * 86_400_000


def device_key(seed: bytes, n: int) -> ec.EllipticCurvePrivateKey:
    x = int.from_bytes(hashlib.sha256(seed + b"/device/" + str(n).encode()).digest(), "big")
    return ec.derive_private_key(x % (_N - 1) + 1, ec.SECP256R1())


def assembly_doc(
    assembly_id: int = 1,
    items: int = 3,
    settings: Mapping[str, Any] | None = None,
    opens: int = OPENS,
    closes: int = CLOSES,
) -> dict[str, Any]:
    docs = [
        item_doc(str(i + 1), f"议题{i + 1}", "", "motion", 4 if i % 2 == 0 else 6, None, None, None)
        for i in range(items)
    ]
    return {
        "id": assembly_id,
        "title": "业主大会",
        "description": "synthetic",
        "community": "示例小区",
        "notice_at": opens - 15 * 86_400_000,
        "opens_at": opens,
        "closes_at": closes,
        "settings": AssemblySettings.from_dict(settings or {}).to_dict(),
        "items": docs,
    }


def roster(heads: int, settings: Mapping[str, Any] | None = None) -> tuple[bytes, list[str]]:
    """``heads`` owners with one flat each, one with two flats, developer units, a parking space."""
    units: list[tuple[Unit, str]] = []
    for n in range(max(heads - 2, 1)):
        building = f"{n % 8 + 1}幢"
        units.append(
            (
                Unit.from_areas(
                    f"{building}-{n:06d}",
                    {f"o{n}"},
                    registered=Decimal(80 + n % 50) + Decimal("0.37"),
                    building=building,
                ),
                "registered",
            )
        )
    units.append(
        (Unit.from_areas("1幢-X01", {"o0"}, surveyed=Decimal("66.10"), building="1幢"), "delivered")
    )
    units.append(
        (
            Unit.from_areas(
                "9幢-D01", (), contract=Decimal("120.00"), building="9幢", developer_held=True
            ),
            "unsold",
        )
    )
    units.append(
        (
            Unit.from_areas(
                "9幢-D02", (), contract=Decimal("99.99"), building="9幢", developer_held=True
            ),
            "sold_undelivered",
        )
    )
    units.append(
        (
            Unit.from_areas("P-001", {"o1"}, registered=Decimal("12.50"), usage="parking"),
            "registered",
        )
    )
    data, r = grouped_roster(
        {"community": "示例小区", "roster_version": 1, "registry_digest": "0" * 64},
        units,
        AssemblySettings.from_dict(settings or {}),
    )
    return data, list(r.heads)


def ballot_for(
    seed: bytes, origin: str, head_no: int, head: str, seq: int, choices: dict[str, str]
) -> tuple[dict[str, Any], bytes]:
    key = device_key(seed, head_no)
    nonce = canonical.b64url(
        hashlib.sha256(seed + f"/nonce/{head_no}/{seq}".encode()).digest()[:16]
    )
    payload = ballot_payload(origin, head, key_id(spki(key.public_key())), seq, choices, nonce)
    return payload, sign_p256(key, signing_message(payload))


_CHOICES = ("agree", "oppose", "abstain")


def _plan(j: int, heads: list[str], items: int) -> tuple[int, int, dict[str, str]]:
    h = j % len(heads)
    seq = j // len(heads) + 1
    choices = {str(i + 1): _CHOICES[(j * 7 + i * 3 + h) % 3] for i in range(items)}
    return h, seq, choices


# what a worker signs: (seed, origin, heads, items, first ballot, end)
_Range = tuple[bytes, str, list[str], int, int, int]


def _sign_range(args: _Range) -> list[tuple[dict[str, Any], bytes]]:
    seed, origin, heads, items, lo, hi = args
    out = []
    for j in range(lo, hi):
        h, seq, choices = _plan(j, heads, items)
        out.append(ballot_for(seed, origin, h, heads[h], seq, choices))
    return out


def signed_ballots(
    seed: bytes,
    origin: str,
    heads: list[str],
    items: int,
    count: int,
    workers: int = 1,
    batch: int = 5000,
) -> Iterator[tuple[dict[str, Any], bytes]]:
    """``count`` ballots, round-robin over heads (later ones are revotes), in log order."""
    ranges = [
        (seed, origin, heads, items, lo, min(lo + batch, count)) for lo in range(0, count, batch)
    ]
    if workers <= 1:
        for r in ranges:
            yield from _sign_range(r)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for part in pool.imap(_sign_range, ranges, chunksize=1):
            yield from part


def build(
    signer: Signer,
    *,
    heads: int = 20,
    ballots: int = 40,
    items: int = 3,
    seed: bytes = b"seed",
    settings: Mapping[str, Any] | None = None,
    workers: int = 1,
    spool: IO[bytes] | None = None,
    close: bool = True,
) -> MemLog:
    """A complete assembly: published, keys enrolled, ballots cast, closed, result published."""
    from ledger.documents import convert_choices, parse_assembly, parse_roster
    from voting.tally import tally

    origin = "ownervote.example/demo/assembly/1"
    rdata, head_ids = roster(heads, settings)
    adoc = assembly_doc(items=items, settings=settings)
    log = MemLog(signer, origin, adoc, rdata, OPENS - 3_600_000, spool=spool)
    for n, h in enumerate(head_ids):
        log.enroll_key(
            h, spki(device_key(seed, n).public_key()), voter=f"v{n}", time_ms=OPENS - 1_800_000
        )
    log.checkpoint()
    last: dict[tuple[str, str], Any] = {}
    t = OPENS
    for payload, sig in signed_ballots(seed, origin, head_ids, items, ballots, workers):
        t += 1
        log.signed(BALLOT, payload, sig, t)
        for k, v in payload["choices"].items():
            last[(payload["head"], k)] = v
        if log.size % 100_000 == 0:
            log.checkpoint()
    if close:
        log.close(CLOSES)
        a = parse_assembly(adoc)
        r = parse_roster(rdata, a.settings)
        votes = {k: convert_choices({"x": v})["x"] for k, v in last.items()}
        log.publish_result(tally(r, a.items.values(), votes, a.settings).to_json(), CLOSES + 1)
    log.checkpoint()
    return log
