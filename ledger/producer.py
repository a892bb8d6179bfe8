"""``producer.json``: the program and version that wrote an audit bundle.

An auditor installs exactly that version to verify with the code that produced the
bundle (``pip install 'ownervote==0.1.0'``, docs/auditor-guide.md).  The member is
canonical JSON with exactly two strings::

    {"name":"ownervote","version":"0.1.0"}

``name`` is a lowercase distribution name (``[a-z0-9]`` then ``[a-z0-9._-]``, at most
64 characters) and ``version`` a release number (ASCII letters, digits and
``. + ! -``, starting with a digit, at most 64 characters), so that both can be
printed and pasted into ``pip install`` as they are.  Like every member it is listed
in the signed MANIFEST.  It is optional: bundles written before ownervote wrote it
have none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger import canonical
from ledger.errors import LedgerError

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
VERSION = re.compile(r"[0-9][0-9A-Za-z.+!-]{0,63}")


@dataclass(frozen=True)
class Producer:
    name: str
    version: str

    def encode(self) -> bytes:
        """The member's bytes (canonical JSON)."""
        problem = _problem(self.name, self.version)
        if problem:
            raise LedgerError(problem)
        return canonical.encode({"name": self.name, "version": self.version})

    def to_doc(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version}


def parse_producer(data: bytes) -> Producer:
    """Read ``producer.json``; raise :class:`LedgerError` saying what is wrong in it."""
    doc = canonical.decode(data)
    if not isinstance(doc, dict) or set(doc) != {"name", "version"}:
        raise LedgerError('not {"name": …, "version": …} (two strings, nothing else)')
    name, version = doc["name"], doc["version"]
    if not isinstance(name, str) or not isinstance(version, str):
        raise LedgerError("name and version must be strings")
    problem = _problem(name, version)
    if problem:
        raise LedgerError(problem)
    return Producer(name, version)


def _problem(name: str, version: str) -> str | None:
    if not NAME.fullmatch(name):
        return f"the name {name!r} is not a lowercase distribution name"
    if not VERSION.fullmatch(version):
        return f"the version {version!r} is not a release number"
    return None
