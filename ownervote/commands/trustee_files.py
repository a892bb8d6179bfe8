"""Files of ``ownervote trustee``: the trustee's secret files and the ceremony folder.

Secret (in ``--key-dir``, mode 0700; files 0600, created exclusively, refused when group or
others can read them):

* ``trustee-key.json`` — ``{"v": 1, "origin", "trustee", "n", "k", "name",
  "signing_key", "transport_key" (the public keys, hex), "sealed"}``, where ``sealed``
  holds the Ed25519 seed and the X25519 private key under the trustee's passphrase
  (:mod:`ledger.secret.keyfile`, bound to the other fields);
* ``polynomial.json`` — ``{"v": 1, "origin", "trustee", "k", "sealed"}`` (the k
  coefficients, 32 bytes little-endian each, sealed likewise), kept until the key is final
  (to answer complaints), then deleted.

Public (the *ceremony folder*, ``--ceremony``): one signed document per file, named
``<type>-<trustee>[-<other>].json`` (docs/secret-ballots.md §12.1).  Every ``*.json`` file
there must be a trustee document of the same ceremony.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger import canonical
from ledger.errors import EncodingError
from ledger.secret import dkg, keyfile, transport, trustee_sig
from ledger.secret import trustee_docs as td
from ledger.secret.ceremony import Ceremony
from ledger.secret.group import GroupError, decode_scalar
from ledger.secret.trustee_errors import DocumentError, TrusteeError
from ownervote.commands.invocation import fail

KEY_FILE = "trustee-key.json"
POLYNOMIAL_FILE = "polynomial.json"


class FileProblem(TrusteeError):
    """A file that cannot be read or written as the command needs."""


@dataclass(frozen=True)
class TrusteeKeys:
    origin: str
    trustee: int
    n: int
    k: int
    name: str
    signing: Ed25519PrivateKey
    transport: X25519PrivateKey
    passphrase: str = field(repr=False, default="")

    def announcement(self) -> td.Announcement:
        return td.Announcement(self.origin, self.trustee, self.n, self.k, self.name,
                               trustee_sig.public_bytes(self.signing),
                               transport.public_bytes(self.transport))


def write_secret(path: Path, value: Any) -> None:
    """A new 0600 file (never overwrites) in a 0700 folder."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise FileProblem(str(path), "already exists; refusing to overwrite a secret") from None
    except OSError as exc:
        raise FileProblem(str(path), f"cannot create: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=1, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_secret(path: Path) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileProblem(str(path), "does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise FileProblem(str(path), f"is accessible by group or others (mode "
                                     f"{stat.filemode(mode)}); chmod 600 it")
    value = read_json(path)
    if not isinstance(value, dict) or value.get("v") != 1:
        raise FileProblem(str(path), "not a version 1 trustee file")
    return value


def read_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileProblem(str(path), f"cannot read: {exc.strerror}") from None
    try:
        return json.loads(data, parse_float=_no_float, parse_constant=_no_float)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FileProblem(str(path), f"not JSON: {exc}") from None


def _no_float(text: str) -> Any:
    raise ValueError(f"number {text} is not an integer")


def _header(fields: dict[str, Any]) -> bytes:
    return canonical.encode(fields)


def _key_fields(keys: TrusteeKeys) -> dict[str, Any]:
    return {"v": 1, "origin": keys.origin, "trustee": keys.trustee, "n": keys.n, "k": keys.k,
            "name": keys.name,
            "signing_key": trustee_sig.public_bytes(keys.signing).hex(),
            "transport_key": transport.public_bytes(keys.transport).hex()}


def save_keys(key_dir: Path, keys: TrusteeKeys) -> None:
    fields = _key_fields(keys)
    secret = trustee_sig.seed_bytes(keys.signing) + transport.private_bytes(keys.transport)
    write_secret(key_dir / KEY_FILE,
                 {**fields, "sealed": keyfile.seal(secret, keys.passphrase, _header(fields))})


def load_keys(key_dir: Path, passphrase: str) -> TrusteeKeys:
    path = key_dir / KEY_FILE
    raw = read_secret(path)
    where = str(path)
    fields = {f: raw.get(f) for f in ("v", "origin", "trustee", "n", "k", "name",
                                      "signing_key", "transport_key")}
    try:
        header = _header(fields)
    except EncodingError as exc:
        raise FileProblem(where, str(exc)) from None
    secret = keyfile.open_sealed(raw.get("sealed"), passphrase, header, f"{where}.sealed")
    try:
        keys = TrusteeKeys(
            _str(raw, "origin", where), _int(raw, "trustee", where), _int(raw, "n", where),
            _int(raw, "k", where), _str(raw, "name", where),
            trustee_sig.load_signing_key(secret[:32], f"{where}.sealed"),
            transport.load_transport_key(secret[32:], f"{where}.sealed"), passphrase)
    except ValueError as exc:
        raise FileProblem(where, str(exc)) from None
    if _key_fields(keys) != fields:
        raise FileProblem(where, "the sealed keys do not match the public keys in the file")
    return keys


def _polynomial_fields(keys: TrusteeKeys) -> dict[str, Any]:
    return {"v": 1, "origin": keys.origin, "trustee": keys.trustee, "k": keys.k}


def save_polynomial(key_dir: Path, keys: TrusteeKeys, poly: dkg.Polynomial) -> None:
    fields = _polynomial_fields(keys)
    secret = b"".join(a.to_bytes(32, "little") for a in poly.coefficients)
    write_secret(key_dir / POLYNOMIAL_FILE,
                 {**fields, "sealed": keyfile.seal(secret, keys.passphrase, _header(fields))})


def load_polynomial(key_dir: Path, keys: TrusteeKeys) -> dkg.Polynomial:
    path = key_dir / POLYNOMIAL_FILE
    raw = read_secret(path)
    where = str(path)
    fields = _polynomial_fields(keys)
    if {f: raw.get(f) for f in fields} != fields:
        raise FileProblem(where, "is for another ceremony or trustee than trustee-key.json")
    secret = keyfile.open_sealed(raw.get("sealed"), keys.passphrase, _header(fields),
                                 f"{where}.sealed")
    if len(secret) != 32 * keys.k:
        raise FileProblem(f"{where}.sealed", f"expected {keys.k} scalars")
    try:
        return dkg.Polynomial(tuple(
            decode_scalar(secret[32 * j:32 * j + 32].hex(), f"{where}.sealed[{j}]")
            for j in range(keys.k)))
    except GroupError as exc:
        raise FileProblem(exc.where, exc.problem) from None


def read_ceremony(folder: Path) -> list[tuple[str, td.Signed]]:
    """Every ``*.json`` file of the ceremony folder, parsed (not yet cross-checked)."""
    if not folder.is_dir():
        raise FileProblem(str(folder), "is not a folder")
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FileProblem(str(path), f"cannot read: {exc.strerror}") from None
        out.append((path.name, td.loads(data, path.name)))
    return out


def file_name(doc: td.Document) -> str:
    kind = doc.TYPE.split(".", 1)[1]
    if isinstance(doc, td.Complaint):
        return f"{kind}-{doc.trustee}-against-{doc.dealer}.json"
    if isinstance(doc, td.Answer):
        return f"{kind}-{doc.trustee}-to-{doc.complainant}.json"
    return f"{kind}-{doc.trustee}.json"


def publish(folder: Path, signed: td.Signed) -> Path:
    """Write a signed document into the ceremony folder; an identical file is kept, a
    different one is refused (a trustee never publishes two versions of a document)."""
    path = folder / file_name(signed.document)
    data = td.dumps(signed)
    if path.exists():
        if path.read_bytes() == data:
            return path
        raise FileProblem(str(path), "already exists with other content; a trustee publishes "
                                     "one version of each document")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def _str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise DocumentError(f"{where}.{key}", "expected text")
    return value


def _int(raw: dict[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DocumentError(f"{where}.{key}", "expected a positive integer")
    return value


def _hex(raw: dict[str, Any], key: str, where: str) -> bytes:
    value = raw.get(key)
    try:
        if not isinstance(value, str) or len(value) != 64:
            raise ValueError
        return bytes.fromhex(value)
    except ValueError:
        raise DocumentError(f"{where}.{key}", "expected 64 hex digits") from None


# -- shared by the commands ----------------------------------------------------------

KEY_DIR = click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path),
                       required=True, help="This trustee's private folder (keep it offline).")
CEREMONY = click.option("--ceremony", type=click.Path(file_okay=False, path_type=Path),
                        required=True, help="The folder of the ceremony's public documents.")
CLOSED = click.option("--closed", is_flag=True,
                      help="The committee closed the ceremony at its deadline: absent dealers "
                           "and unanswered complaints are final.")


@contextmanager
def refusals_of_trustee() -> Iterator[None]:
    try:
        yield
    except (TrusteeError, GroupError) as exc:
        fail(exc)


def guarded(fn: Callable[..., None]) -> Callable[..., None]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        with refusals_of_trustee():
            fn(*args, **kwargs)
    return wrapper


PASSPHRASE_ENV = "OWNERVOTE_TRUSTEE_PASSPHRASE"


def passphrase(*, new: bool = False) -> str:
    """The key files' passphrase: asked on the terminal (twice for a new one), or taken
    from ``OWNERVOTE_TRUSTEE_PASSPHRASE`` for scripted use."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given is not None:
        return given
    value: str = click.prompt("Passphrase of this trustee's key files" if not new else
                              f"New passphrase for the key files (at least "
                              f"{keyfile.MIN_PASSPHRASE} characters)",
                              hide_input=True, confirmation_prompt=new, err=True)
    return value


def load_trustee(key_dir: Path, ceremony: Path) -> tuple[TrusteeKeys, Ceremony]:
    keys = load_keys(key_dir, passphrase())
    state = Ceremony.build(read_ceremony(ceremony))
    if (state.origin, state.n, state.k) != (keys.origin, keys.n, keys.k):
        fail(f"{ceremony}: the documents are for {state.origin!r} (n={state.n}, k={state.k}), "
             f"this trustee's keys for {keys.origin!r} (n={keys.n}, k={keys.k})")
    mine = state.announcements.get(keys.trustee)
    if mine is None or mine.document != keys.announcement():
        fail(f"{ceremony}: announcement-{keys.trustee}.json is missing or is not this "
             f"trustee's keys")
    return keys, state


def open_own_share(keys: TrusteeKeys, state: Ceremony, dealer: int) -> tuple[int | None, str]:
    """The share ``dealer`` dealt us, if it opens and matches the commitments; else why not."""
    d = state.dealing(dealer)
    where = f"dealing-{dealer}.json.shares[{keys.trustee - 1}]"
    try:
        value = transport.open_share(d.shares[keys.trustee - 1], origin=keys.origin,
                                     dealer=dealer, own_key=keys.transport, where=where)
    except TrusteeError as exc:
        return None, str(exc)
    if not dkg.verify_share(value, d.commitments, keys.trustee):
        return None, f"{where}: the share does not match the dealer's commitments"
    return value, ""
