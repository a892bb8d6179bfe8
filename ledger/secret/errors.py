"""Typed errors of the secret-ballot core (docs/secret-ballots.md §10.4).

A refused ballot says *what* failed (:class:`BallotRefusal`, a stable code for the web
layer, the CLI and the vectors), *where* (the item key, the option index, the proof:
``"option"`` or ``"sum"``) and a short English detail for logs.  The group's own
:class:`~ledger.secret.group.GroupError` (a bad point or scalar) is turned into a
``bad_point`` / ``bad_scalar`` refusal naming the same place.
"""

from __future__ import annotations

from enum import StrEnum


class BallotRefusal(StrEnum):
    """Why a secret ballot was refused.

    * ``malformed`` — not the shape of §10.1 (a missing or extra key, a list of the wrong
      length, a non-object)
    * ``unknown_item`` — an item key the assembly does not have, or of another kind
    * ``wrong_option_count`` — an item's options are not the notice's options
    * ``bad_point`` — a ciphertext component is not a valid point (§2.3)
    * ``bad_scalar`` — a proof scalar is not 64 lowercase hex digits below L (§2.2)
    * ``bad_option_proof`` — an option's 0/1 proof (§5.1, lo=0, hi=1) fails
    * ``bad_sum_proof`` — an item's sum proof (§5.1, motion 1…1, election 1…seats) fails
    """

    MALFORMED = "malformed"
    UNKNOWN_ITEM = "unknown_item"
    WRONG_OPTION_COUNT = "wrong_option_count"
    BAD_POINT = "bad_point"
    BAD_SCALAR = "bad_scalar"
    BAD_OPTION_PROOF = "bad_option_proof"
    BAD_SUM_PROOF = "bad_sum_proof"


class SecretBallotError(ValueError):
    """Root of the secret-ballot core's errors."""


class BallotRefused(SecretBallotError):
    """A secret ballot that does not verify; nothing of it may be written.

    ``item`` is the item key (``None`` for the ballot as a whole), ``option`` the 0-based
    option index (``None`` for the item or its sum), ``proof`` ``"option"``, ``"sum"`` or
    ``None``; ``where`` is the JSON path of the offending value.
    """

    def __init__(
        self,
        code: BallotRefusal,
        where: str,
        detail: str,
        *,
        item: str | None = None,
        option: int | None = None,
        proof: str | None = None,
    ) -> None:
        super().__init__(f"{code.value} at {where}: {detail}")
        self.code = code
        self.where = where
        self.detail = detail
        self.item = item
        self.option = option
        self.proof = proof

    def as_dict(self) -> dict[str, str | int | None]:
        """The refusal as the vectors and the API carry it."""
        return {"code": self.code.value, "where": self.where, "item": self.item,
                "option": self.option, "proof": self.proof}


class DlogNotFound(SecretBallotError):
    """``M`` is not ``m·G`` for any ``m`` in ``[0, bound]`` (a tally fails naming its item)."""

    def __init__(self, bound: int) -> None:
        super().__init__(f"no discrete logarithm in [0, {bound}]")
        self.bound = bound
        #: which of :func:`ledger.secret.dlog.dlog_many`'s points had none
        self.index: int | None = None


class AuditMismatch(SecretBallotError):
    """A challenged (Benaloh) ballot does not encrypt the choices shown (§9).

    ``item`` and ``option`` name the first ciphertext that differs; ``where`` its path.
    """

    def __init__(self, where: str, detail: str, *, item: str | None = None,
                 option: int | None = None) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail
        self.item = item
        self.option = option

    def as_dict(self) -> dict[str, str | int | None]:
        """The mismatch as the vectors carry it."""
        return {"where": self.where, "item": self.item, "option": self.option}


class SecretTallyError(SecretBallotError):
    """A secret-mode tally cannot be completed or does not add up (docs/audit-bundle.md
    §10.2.1): ``where`` names the item (and the option and weighting when one total is at
    fault), ``detail`` says what."""

    def __init__(self, where: str, detail: str, *, item: str | None = None) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where
        self.detail = detail
        self.item = item
