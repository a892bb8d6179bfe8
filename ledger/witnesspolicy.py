"""An assembly's witness policy: which witnesses must cosign its log, and how many.

Fixed when the notice is published: entry 0 (``assembly.published``) carries it as
``"witness_policy": {"quorum": k, "witnesses": [vkey, …]}`` (witness cosignature/v1
verifier keys sorted by name; ``1 ≤ k ≤ n``).  A log published without witnesses
configured has no policy (the key is absent).  ``ownervote verify`` fails a bundle
whose newest checkpoint lacks ``k`` valid cosignatures by the policy's keys.

The policy is the deployment's, not the committee's: the witnesses guard owners
against an operator or a committee that would rewrite the log, so the party being
watched does not choose its watchers.  ``OWNERVOTE_WITNESSES`` names them and
``OWNERVOTE_WITNESS_QUORUM`` the quorum (default: a majority of them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.errors import EncodingError, NoteError
from ledger.note import ALG_COSIGNATURE_V1, Verifier


def majority(n: int) -> int:
    return n // 2 + 1


@dataclass(frozen=True)
class WitnessPolicy:
    witnesses: tuple[Verifier, ...]
    quorum: int

    def __post_init__(self) -> None:
        names = [w.name for w in self.witnesses]
        if not self.witnesses:
            raise EncodingError("witness_policy: names no witness")
        if len(set(names)) != len(names):
            raise EncodingError("witness_policy: a witness is named twice")
        if any(w.alg != ALG_COSIGNATURE_V1 for w in self.witnesses):
            raise EncodingError("witness_policy: every key must be a cosignature/v1 key")
        if isinstance(self.quorum, bool) or not isinstance(self.quorum, int) or not (
                1 <= self.quorum <= len(self.witnesses)):
            raise EncodingError(
                f"witness_policy: quorum must be an integer from 1 to {len(self.witnesses)}")
        object.__setattr__(self, "witnesses",
                           tuple(sorted(self.witnesses, key=lambda w: w.name)))

    def to_doc(self) -> dict[str, Any]:
        return {"quorum": self.quorum, "witnesses": [w.vkey for w in self.witnesses]}

    @classmethod
    def from_doc(cls, doc: Any) -> WitnessPolicy:
        if not isinstance(doc, Mapping) or set(doc) != {"quorum", "witnesses"}:
            raise EncodingError('witness_policy must be {"quorum": k, "witnesses": [vkey, ...]}')
        keys = doc["witnesses"]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise EncodingError("witness_policy.witnesses must be a list of vkeys")
        try:
            policy = cls(tuple(Verifier.parse(k) for k in keys), doc["quorum"])
        except NoteError as exc:
            raise EncodingError(f"witness_policy: {exc}") from None
        if policy.to_doc() != dict(doc):
            raise EncodingError("witness_policy: witnesses must be sorted by name")
        return policy

    def counted(self, cosigners: Iterable[Verifier]) -> list[str]:
        """The policy's witnesses among ``cosigners`` (keys whose cosignature verified)."""
        mine = {w.vkey for w in self.witnesses}
        return sorted({c.name for c in cosigners if c.vkey in mine})

    def describe(self) -> str:
        names = ", ".join(w.name for w in self.witnesses)
        return f"{self.quorum} of {len(self.witnesses)} ({names})"


def policy_for(witnesses: tuple[Verifier, ...], quorum: int | None) -> WitnessPolicy | None:
    """The policy of a log published now: ``None`` without witnesses."""
    if not witnesses:
        if quorum:
            raise EncodingError("a witness quorum is set but no witness is configured")
        return None
    return WitnessPolicy(witnesses, majority(len(witnesses)) if quorum is None else quorum)
