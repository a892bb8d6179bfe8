"""The demo's witness ends with the demo, whatever stops the demo.

``demo_witness.start`` runs in a process of its own (as in ``ownervote demo``), which is
then stopped with SIGTERM or SIGKILL (neither runs ``atexit``); the witness must stop
answering within a few seconds.  Without Linux's ``PR_SET_PDEATHSIG`` (every other
platform) the witness's own watch of ``--parent-pid`` stops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

STARTER = """
import sys, time
from ownervote.commands import demo_witness
from ownervote.config import load_settings
if sys.argv[1] == "no-pdeathsig":
    demo_witness._preexec = lambda: None
print(demo_witness.start(load_settings()), flush=True)
time.sleep(300)
"""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("how", ["pdeathsig", "no-pdeathsig"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_witness_ends_with_the_process_that_started_it(tmp_path: Path, how: str,
                                                           sig: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OWNERVOTE_")}
    env |= {"OWNERVOTE_INSTANCE_DIR": str(tmp_path / "inst"), "OWNERVOTE_ENV": "development"}
    (tmp_path / "inst").mkdir()
    starter = subprocess.Popen([sys.executable, "-c", STARTER, how], env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout is not None
        line = starter.stdout.readline()
        assert line, (tmp_path / "inst" / "demo-witness.log").read_text()
        url = line.split()[0]
        assert _answers(url)
    finally:
        starter.send_signal(sig)
        starter.wait(timeout=30)
    try:
        deadline = time.monotonic() + 5
        while _answers(url):
            assert time.monotonic() < deadline, "the witness outlived the process that started it"
            time.sleep(0.1)
    finally:
        _end_strays(tmp_path)


def _end_strays(tmp_path: Path) -> None:
    """Whatever the outcome, end the witnesses of this test's instance folder (on Linux,
    found by their command lines)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(tmp_path).encode() in cmdline.read_bytes():
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
        except OSError:
            pass
