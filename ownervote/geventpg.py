"""psycopg waiting for PostgreSQL as a gevent greenlet (``ownervote serve``'s workers).

psycopg drives libpq without blocking and asks a *wait function* to sleep
until the socket is ready.  It picks that function once, when first imported:
a C ``poll()`` that blocks the whole process, unless gevent has patched
``select`` already, and then ``select.poll`` emulated on gevent, which builds a
poll object and its watchers for every wait.  In a gevent worker the first
stops every other request of the worker for each round trip to the database
(including a writer waiting for the log's lock); the second is costly
(bench/cast.py on PostgreSQL, 3,000 ballots: 5.3–5.8 s of server CPU against
4.3–4.6 s with the blocking wait).  :func:`wait` parks the greenlet on one
libev watcher of the connection's socket: the other requests run meanwhile,
for a few microseconds per wait.
"""

from __future__ import annotations

from time import monotonic
from typing import Any


class _Idle(Exception):
    """The wait interval passed with the socket not ready."""


def wait(gen: Any, fileno: int, interval: float = 0.0, timeout: float | None = None) -> Any:
    """psycopg's ``waiting.wait`` contract: run ``gen``, sleeping on ``fileno`` whenever it
    yields what it waits for (read 1, write 2, both 3 — libev's event bits too), sending
    back what is ready; with a ``timeout``, ``READY_NONE`` each ``interval`` with nothing
    ready and psycopg's ``_WaitTimeout`` after ``timeout`` seconds."""
    from gevent import get_hub
    from gevent.socket import wait as wait_on
    from psycopg import errors
    from psycopg.waiting import READY_NONE

    loop = get_hub().loop
    deadline = None if timeout is None else monotonic() + timeout
    try:
        s = next(gen)
        while True:
            if timeout is None or deadline is None:  # no timer (both None, or neither):
                # psycopg's interval only lets Ctrl-C in, and gevent's hub takes signals itself
                wait_on(loop.io(fileno, int(s)))
                s = gen.send(int(s))  # ready for what it asked (both: it tries each, no block)
                continue
            try:
                left = min(interval or timeout, max(0.0, deadline - monotonic()))
                wait_on(loop.io(fileno, int(s)), timeout=left, timeout_exc=_Idle)
                s = gen.send(int(s))
            except _Idle:
                s = gen.send(READY_NONE)
            if monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")  # noqa: SLF001 - psycopg's own
    except StopIteration as done:
        return done.value


def use_in_this_worker() -> None:
    """Make psycopg wait through :func:`wait` in this gevent-patched process (the master
    imported psycopg before forking: its choice was made without gevent)."""
    from gevent import monkey

    if not monkey.is_module_patched("select"):
        return
    import selectors

    from psycopg import waiting

    waiting.wait = wait
    # connecting: gevent's selector (setattr: psycopg's DefaultSelector is a class binding)
    setattr(waiting, "DefaultSelector", selectors.DefaultSelector)  # noqa: B010
