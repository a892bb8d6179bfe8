"""Playwright driving Debian's Chromium, and a live ownervote server for it.

``playwright install`` cannot download browsers here, so the tests launch the
system Chromium (``/usr/bin/chromium``, installed by ``./dev test``) headless.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("OWNERVOTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not answer within {timeout} s")


@dataclass
class LiveServer:
    """``ownervote serve`` in a subprocess on its own instance folder."""

    instance_dir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

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
        )
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ownervote.cli", *args], env=self.env,
                              capture_output=True, text=True, check=check, timeout=600)

    def start(self) -> LiveServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ownervote.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers), "--no-access-log"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        wait_until_serving(self.url + "/healthz", self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
