"""The one way the tests start ownervote as a real server: ``ownervote serve`` in a subprocess.

Used by the browser tests (a demo server for Chromium), the production tests
(gunicorn workers under load, SIGKILL, database restarts, throttling shared
through Redis) and ``bench/*.py``.

:class:`Server` runs ``python -m ownervote.cli serve`` on a free port of 127.0.0.1
with the environment it is given (instance folder, database URL, and
``extra_env`` over the test process's own environment), in its own process group,
so that :meth:`Server.kill` can SIGKILL the arbiter and every worker at once and
:meth:`Server.start` can start it again on the same port and instance folder.
:meth:`Server.start` returns once ``/healthz`` answers; :attr:`Server.url` is its
address; what it prints goes to ``serve-PORT-N.log`` in its instance folder
(:meth:`Server.log_text`, :attr:`Server.log_path`); :meth:`Server.stop` ends it.
It is also a context manager (started on entry, stopped on exit).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 60,
                       log: Path | None = None) -> None:
    """Return once ``url`` answers below 500; fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}"
                               + _tail(log))
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not answer within {timeout} s" + _tail(log))


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return "; the end of its log:\n" + log.read_text(errors="replace")[-3000:]


@dataclass
class Server:
    """``ownervote serve --workers N [--threads T]`` in its own session (process group)."""

    instance_dir: Path
    database_url: str
    workers: int = 2
    threads: int | None = None  # None: the command's default (OWNERVOTE_WEB_THREADS or its own)
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

    @property
    def log_path(self) -> Path:
        """The log of the latest start (what the server printed)."""
        return self._log(max(self.starts - 1, 0))

    def _log(self, start: int) -> Path:
        # servers may share an instance folder: each its own log, by port
        return self.instance_dir / f"serve-{self.port}-{start}.log"

    def settings(self):
        """The server's settings, as ``ownervote serve`` reads them from its environment."""
        from ownervote.config import load_settings

        return load_settings(self.env)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``ownervote ARGS`` with the server's environment (e.g. ``init-demo``)."""
        return subprocess.run([sys.executable, "-m", "ownervote.cli", *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, check=check, timeout=600)

    def start(self, timeout: float = 90) -> Server:
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log(self.starts)
        log = open(log_path, "wb")  # no with: the child writes to it
        self.starts += 1
        command = [sys.executable, "-m", "ownervote.cli", "serve", "--port", str(self.port),
                   "--workers", str(self.workers), "--no-access-log"]
        if self.threads is not None:
            command += ["--threads", str(self.threads)]
        self.process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        try:
            wait_until_serving(self.url + "/healthz", self.process, timeout=timeout,
                               log=log_path)
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
        """SIGTERM to the process group (gunicorn stops its workers); SIGKILL after 20 s."""
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
        """The end of every start's log (what the server printed)."""
        return "\n".join(p.read_text(errors="replace")[-4000:]
                         for p in sorted(self.instance_dir.glob(f"serve-{self.port}-*.log")))
