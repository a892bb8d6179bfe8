"""The verifier's report: named checks, each with its (capped) failure messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


class Failures(list[str]):
    """A check's failure messages, capped so a hostile bundle cannot exhaust memory."""

    LIMIT = 200

    def __init__(self) -> None:
        super().__init__()
        self.more = 0

    def append(self, message: str) -> None:
        if len(self) < self.LIMIT:
            super().append(message)
        else:
            self.more += 1
            if self.more == 1:
                super().append("... and more failures of this check")

    def extend(self, messages: Iterable[str]) -> None:
        for m in messages:
            self.append(m)


@dataclass
class Report:
    path: str
    checks: dict[str, list[str]] = field(default_factory=dict)  # check name -> failures
    info: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str) -> list[str]:
        return self.checks.setdefault(name, Failures())

    @property
    def valid(self) -> bool:
        return not any(self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.path,
            "valid": self.valid,
            "checks": [{"name": n, "ok": not f, "failures": f} for n, f in self.checks.items()],
            **self.info,
        }
