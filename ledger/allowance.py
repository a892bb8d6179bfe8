"""How many ballots one head may cast in a while: the server's casting allowance (pure).

Not a casting rule: the law lets an owner change their vote until the close, and the
offline verifier does not replay this.  It bounds what one home can make the server
write — counted per **head**, from the head's own accepted phone ballots in the log, so
neither a new voting key (each key used to have its own count), a ballot naming
another head, nor a revoked key's ballots (refused, never appended) use it up.  The
windows slide: a refused ballot learns when the oldest ballot in the full window leaves
it (``retry_at_ms``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """At most ``ballots`` accepted phone ballots of one head in any ``ms`` milliseconds."""

    ballots: int
    ms: int


def retry_at(cast_times_ms: Iterable[int], now_ms: int, windows: Sequence[Window]) -> int | None:
    """When a new ballot of the head may be accepted (Unix ms) if one more now would go
    over a window; None: it is within every window."""
    times = sorted(cast_times_ms)
    latest: int | None = None
    for w in windows:
        recent = [t for t in times if t > now_ms - w.ms]
        if len(recent) >= w.ballots:
            free = recent[len(recent) - w.ballots] + w.ms
            latest = free if latest is None else max(latest, free)
    return latest


#: Voting (ballot) keys one owner may have enrolled in one log in a day.  A phone needs one
#: per home it votes for, and a new one only after its device key changed (a new phone, a
#: cleared browser); each enrolment writes entries to the public log and, without a
#: bound, gave a fresh casting count too.  Ten a day is far above what an owner needs.
BALLOT_KEYS_PER_DAY = Window(10, 24 * 3600 * 1000)
