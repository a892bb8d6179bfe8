"""The rules that admit trustee documents (ledger.secret.ledgerdocs.fits), shared by the
server and the verifier: the assembly's mode, origin, n and k; ceremony documents only
before the notice and until the key is final; decryptions only after the close."""

from __future__ import annotations

import pytest

from ledger.errors import Refusal
from ledger.secret import ledgerdocs
from tests.support.trustees import ORIGIN, full_ceremony
from voting.settings import AssemblySettings

SECRET = AssemblySettings(ballot_secrecy="secret", trustees=2)


def _docs(signed):
    return [(f"d{i}", s) for i, s in enumerate(signed)]


def refused(code: Refusal, *args, **kw) -> ledgerdocs.SecretRefused:
    with pytest.raises(ledgerdocs.SecretRefused) as exc:
        ledgerdocs.fits(*args, **kw)
    assert exc.value.code is code, exc.value
    return exc.value


def test_a_whole_ceremony_fits_one_document_after_the_other() -> None:
    c = full_ceremony(ORIGIN, 2)
    for n, signed in enumerate(c.documents):
        out = ledgerdocs.fits(ORIGIN, SECRET, _docs(c.documents[:n]), signed, noticed=False)
    assert out.status().final and ledgerdocs.election_key(out) == c.key


def test_what_does_not_fit_is_refused_by_code() -> None:
    c = full_ceremony(ORIGIN, 2)
    first, rest = c.documents[0], c.documents
    refused(Refusal.NOT_SECRET, ORIGIN, AssemblySettings(), [], first, noticed=False)
    refused(Refusal.BAD_TRUSTEE_DOCUMENT, "ownervote.example/else/assembly/1", SECRET, [],
            first, noticed=False)
    wrong_n = AssemblySettings(ballot_secrecy="secret", trustees=3)
    refused(Refusal.BAD_TRUSTEE_DOCUMENT, ORIGIN, wrong_n, [], first, noticed=False)
    refused(Refusal.BAD_TRUSTEE_DOCUMENT, ORIGIN, SECRET, _docs(rest[:1]), first,
            noticed=False)  # recorded already
    refused(Refusal.CEREMONY_NOT_FINAL, ORIGIN, SECRET, _docs(rest[:1]), rest[1],
            noticed=True)  # after the notice
    other = full_ceremony(ORIGIN, 2)
    refused(Refusal.CEREMONY_NOT_FINAL, ORIGIN, SECRET, _docs(rest), other.documents[-1],
            noticed=False)  # the key is final already
    # a dealing before any announcement: the ceremony cannot place it
    refused(Refusal.BAD_TRUSTEE_DOCUMENT, ORIGIN, SECRET, [], rest[2], noticed=False)


def test_decryptions_only_after_the_close() -> None:
    from ledger.secret.group import base
    from ledger.secret.parts import Total

    c = full_ceremony(ORIGIN, 2)
    share = c.decryption(1, [Total("1", 0, "area", base(3), base(4))])
    refused(Refusal.CEREMONY_NOT_FINAL, ORIGIN, SECRET, _docs(c.documents), share,
            noticed=True, closed=False)
    assert ledgerdocs.fits(ORIGIN, SECRET, _docs(c.documents), share, noticed=True,
                           closed=True).decryptions


def test_a_ceremony_that_is_not_final_names_what_is_missing() -> None:
    c = full_ceremony(ORIGIN, 2)
    partial = ledgerdocs.ceremony(ORIGIN, SECRET, _docs(c.documents[:3]))
    with pytest.raises(ledgerdocs.SecretRefused) as exc:
        ledgerdocs.election_key(partial)
    assert exc.value.code is Refusal.CEREMONY_NOT_FINAL
    assert exc.value.params["phase"] == "dealing" and exc.value.params["missing_dealings"] == [2]
