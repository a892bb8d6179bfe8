"""The demo's witness: the street office, as ``ownervote witness serve`` beside the server.

``ownervote demo`` calls :func:`start`: it creates (once) the witness's key and state in
the instance folder, writes the logs file with the log's verifier keys, starts the
witness on a free port of 127.0.0.1 and sets ``OWNERVOTE_WITNESSES`` so the server's
timer asks it to cosign every checkpoint: the demo's bundles are cosigned.  It starts
before the demo is loaded, so the demo's notices fix the witness policy (1 of 1) and
``ownervote verify`` checks it.

The witness ends with the demo however the demo is stopped (Ctrl+C, SIGTERM, SIGKILL):
on Linux the kernel sends it SIGTERM when the demo's process ends (``PR_SET_PDEATHSIG``),
and everywhere it is started with ``--parent-pid`` and stops itself within a second of
the demo's end; a normal exit also stops it (``atexit``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ledger.keys import DEFAULT_HOST, generate, host_from_base_url, load_key_file, write_key_file
from ledger.note import ALG_COSIGNATURE_V1, Signer
from ownervote.config import Settings
from ownervote.services.keys import log_ring

WITNESS_NAME = "street-office.demo/witness"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _key(instance: Path) -> Signer:
    path = instance / "demo-witness.key"
    if not path.exists():
        write_key_file(path, generate(WITNESS_NAME, ALG_COSIGNATURE_V1))
    return load_key_file(path)


def _logs_file(settings: Settings) -> Path:
    """The log's keys (current and retired), for the origins the demo's logs may have."""
    patterns = {f"{host_from_base_url(settings.base_url)}/", f"{DEFAULT_HOST}/"}
    lines = [f"{vkey} {pattern}" for vkey in log_ring(settings) for pattern in sorted(patterns)]
    path = settings.instance_dir / "demo-witness-logs.txt"
    path.write_text("# the logs the demo's witness cosigns for\n" + "\n".join(lines) + "\n")
    return path


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel send this process SIGTERM when its parent ends."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the --parent-pid poll stops it all the same


def _preexec() -> Callable[[], None] | None:
    return _die_with_parent if sys.platform.startswith("linux") else None


def forget_logs(instance: Path) -> None:
    """Remove the witness's state (the sizes it cosigned, the evidence it kept): for
    ``ownervote demo --reset``, whose new logs reuse the old ones' origins."""
    shutil.rmtree(instance / "demo-witness", ignore_errors=True)


def start(settings: Settings) -> str:
    """Start the demo's witness; the ``OWNERVOTE_WITNESSES`` value that points at it."""
    instance = settings.instance_dir
    key = _key(instance)
    port = _free_port()
    log_path = instance / "demo-witness.log"
    starter = os.getpid()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ownervote.cli", "witness", "serve",
             "--key", str(instance / "demo-witness.key"), "--logs", str(_logs_file(settings)),
             "--state", str(instance / "demo-witness"), "--port", str(port),
             "--parent-pid", str(starter)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_preexec())  # before the demo starts any thread

    def stop() -> None:  # gunicorn's workers inherit this: only the starter stops it
        if os.getpid() == starter:
            process.terminate()

    atexit.register(stop)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url + "/", timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        raise RuntimeError(f"the demo's witness did not start (see {log_path})")
    value = f"{url} {key.verifier.vkey}"
    os.environ["OWNERVOTE_WITNESSES"] = value
    return value
