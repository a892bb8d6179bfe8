"""Drive a real ``ownervote serve`` (gunicorn, several workers) with client processes.

:class:`Server` runs the service in its own process group, so a fault test can
SIGKILL the arbiter and every worker at once (:meth:`Server.kill`) and start it
again on the same port and instance folder.  :func:`run_clients` starts client
processes (:mod:`tests.support.httpload`), releases them together and gathers
their results.  Used by ``tests/test_production_*.py`` and ``bench/*.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.browser import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Server:
    """``ownervote serve --workers N --threads T`` in its own session (process group)."""

    instance_dir: Path
    database_url: str
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    starts: int = 0
    # its own throttling counts if a Redis is shared (runs reuse the same device keys)
    redis_prefix: str = field(default_factory=lambda: f"run-{uuid.uuid4().hex[:12]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            OWNERVOTE_INSTANCE_DIR=str(self.instance_dir),
            OWNERVOTE_DATABASE_URL=self.database_url,
            OWNERVOTE_ENV="development",
            OWNERVOTE_BASE_URL=self.url,
            OWNERVOTE_REDIS_PREFIX=self.redis_prefix,
        )
        env.update(self.extra_env)
        return env

    def settings(self):
        from ownervote.config import load_settings

        return load_settings(self.env)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ownervote.cli", *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, check=check, timeout=600)

    def start(self, timeout: float = 90) -> Server:
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.instance_dir / f"serve-{self.starts}.log", "wb")  # noqa: SIM115
        self.starts += 1
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ownervote.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers), "--threads", str(self.threads), "--no-access-log"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        wait_until_serving(self.url + "/healthz", self.process, timeout=timeout)
        return self

    def pids(self) -> list[int]:
        """The arbiter and its workers (every process of the server's process group)."""
        if self.process is None:
            return []
        pgid = self.process.pid
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.getpgid(int(entry)) == pgid:
                        found.append(int(entry))
                except OSError:
                    pass
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the server's live processes."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def kill(self) -> None:
        """SIGKILL the whole process group: arbiter and workers die mid-request."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        deadline = time.monotonic() + 10
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:]
                         for p in sorted(self.instance_dir.glob("serve-*.log")))


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
