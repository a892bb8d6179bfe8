"""An assembly's trust anchors: what an owner or an auditor compares a log against.

* the log's verifier key (a C2SP note verifier key, ``name+keyid+base64``), which signs
  every checkpoint;
* the witness policy fixed with the notice (:mod:`ledger.witnesspolicy`): the
  witnesses' cosignature/v1 keys and how many of them must cosign.

Both come from entry 0 (``assembly.published``): the notice page, the notice PDF and its
QR code print them, the owners' receipt check and ``ownervote verify --log-key`` compare
against them.  The QR code carries them in the URL's *fragment* (never sent to a
server)::

    https://…/a/7#log-key=<vkey>&quorum=1&witness=<vkey>

each value percent-encoded but for ``:`` and ``/`` (``+`` as ``%2B``:
``application/x-www-form-urlencoded`` readers such as ``URLSearchParams`` read a bare
``+`` as a space); ``quorum`` and ``witness`` only when the log has a witness policy,
one ``witness`` per witness in the policy's order.  Pure formatting and parsing: no
database, no web.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from ledger.errors import EncodingError, NoteError
from ledger.note import ALG_ED25519, Verifier
from ledger.witnesspolicy import WitnessPolicy

#: The fragment's parameter names.
LOG_KEY, QUORUM, WITNESS = "log-key", "quorum", "witness"


@dataclass(frozen=True)
class TrustAnchors:
    log_key: str  # the log's note verifier key
    policy: WitnessPolicy | None = None

    def __post_init__(self) -> None:
        try:
            verifier = Verifier.parse(self.log_key)
        except NoteError as exc:
            raise EncodingError(f"log key: {exc}") from None
        if verifier.alg != ALG_ED25519:
            raise EncodingError("log key: not an Ed25519 note key")

    @property
    def log_verifier(self) -> Verifier:
        return Verifier.parse(self.log_key)

    @property
    def log_key_id(self) -> str:
        """The log key's id (8 bytes, hex): short enough to compare by eye."""
        return self.log_verifier.key_id.hex()

    @property
    def witnesses(self) -> tuple[Verifier, ...]:
        return self.policy.witnesses if self.policy is not None else ()

    @property
    def quorum(self) -> int | None:
        return self.policy.quorum if self.policy is not None else None

    @classmethod
    def of_published(cls, body: Mapping[str, Any]) -> TrustAnchors:
        """The anchors entry 0's body (``assembly.published``) states."""
        doc = body.get("witness_policy")
        return cls(body["log_key"], None if doc is None else WitnessPolicy.from_doc(doc))

    def fragment(self) -> str:
        """The URL fragment (without ``#``) that carries these anchors."""
        pairs = [(LOG_KEY, self.log_key)]
        if self.policy is not None:
            pairs.append((QUORUM, str(self.policy.quorum)))
            pairs += [(WITNESS, w.vkey) for w in self.policy.witnesses]
        return "&".join(f"{name}={quote(value, safe=':/')}" for name, value in pairs)

    @classmethod
    def from_fragment(cls, fragment: str) -> TrustAnchors:
        """The anchors of a fragment made by :meth:`fragment` (``EncodingError`` if not)."""
        try:
            pairs = parse_qsl(fragment.removeprefix("#"), keep_blank_values=True,
                              strict_parsing=True)
        except ValueError:
            raise EncodingError("the fragment is not name=value pairs") from None
        names = [name for name, _value in pairs]
        if names.count(LOG_KEY) != 1 or names.count(QUORUM) > 1 or any(
                name not in (LOG_KEY, QUORUM, WITNESS) for name in names):
            raise EncodingError("the fragment must name one log-key, at most one quorum "
                                "and witness keys")
        values = dict(pairs)
        witness_keys = [value for name, value in pairs if name == WITNESS]
        if (QUORUM in values) != bool(witness_keys):
            raise EncodingError("the fragment names witnesses without a quorum or a quorum "
                                "without witnesses")
        policy = None
        if witness_keys:
            quorum = values[QUORUM]
            if not (quorum.isascii() and quorum.isdigit()):
                raise EncodingError("quorum must be a whole number")
            policy = WitnessPolicy.from_doc({"quorum": int(quorum), "witnesses": witness_keys})
        return cls(values[LOG_KEY], policy)

    def url(self, page: str) -> str:
        """``page`` with these anchors in its fragment (what the notice's QR code holds)."""
        return f"{page.split('#', 1)[0]}#{self.fragment()}"
