"""Drive a live server (:class:`tests.support.servers.Server`) with client processes.

:func:`run_clients` starts client processes (:mod:`tests.support.httpload`),
releases them together and gathers their results.  Used by the production tests
(``tests/production/``) and ``bench/*.py``; the server itself is started by
:mod:`tests.support.servers`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from tests.support.servers import ROOT, Server


@dataclass
class ClientRun:
    results: list[list]  # [head, seq, outcome, status, ms, attempts, receipt, error]
    seconds: float  # from the first request sent to the last answer received
    cpu: float  # client processes' CPU seconds during the run
    seen: dict[str, int]  # retryable statuses met (fault mode)
    bad_503: list[dict]

    def by(self, outcome: str) -> list[list]:
        return [r for r in self.results if r[2] == outcome]


def run_clients(server: Server, mode: str, lanes: list[Any], *, processes: int = 2,
                path: str = "", deadline: float | None = None, during=None) -> ClientRun:
    """Run ``lanes`` (one connection each) spread over ``processes`` client processes.

    ``during(run_started)`` is called in this process once every client was released
    (a fault test kills or restarts things from there).
    """
    processes = max(1, min(processes, len(lanes)))
    groups = [lanes[i::processes] for i in range(processes)]
    procs, files = [], []
    spec_base = {"host": "127.0.0.1", "port": server.port, "mode": mode, "path": path,
                 "deadline": deadline or time.time() + 600}
    for group in groups:
        fh = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8")
        json.dump({**spec_base, "lanes": _jsonable(group)}, fh)
        fh.close()
        files.append(fh.name)
        procs.append(subprocess.Popen([sys.executable, "-m", "tests.support.httpload", fh.name],
                                      cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True))
    try:
        for p in procs:
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a client process did not start: {line!r}")
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        if during is not None:
            during()
        outs = [json.loads(p.stdout.read().strip().splitlines()[-1]) for p in procs]
        for p in procs:
            p.wait(timeout=60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for name in files:
            os.unlink(name)
    seen: dict[str, int] = {}
    for o in outs:
        for k, v in o["seen"].items():
            seen[k] = seen.get(k, 0) + v
    return ClientRun(
        results=[r for o in outs for r in o["results"]],
        seconds=max(o["end"] for o in outs) - min(o["start"] for o in outs),
        cpu=sum(o["cpu"] for o in outs),
        seen=seen,
        bad_503=[b for o in outs for b in o["bad_503"]],
    )


def _jsonable(group: list[Any]) -> list[Any]:
    out = []
    for lane in group:
        if isinstance(lane, int):  # a GET lane: a request count
            out.append(lane)
        else:
            out.append([[head, [b.decode() for b in bodies]] for head, bodies in lane])
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
