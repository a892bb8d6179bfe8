"""The command line as a verifier-only install (``pip install ownervote``) runs it: the
server's libraries cannot be imported; ``--help``, ``--version``, ``verify`` and
``tally`` work; a server command says in one line what to install and exits 2.

The same holds for a real install of the wheel (tests/production/test_wheel.py); this
one blocks the imports in the test's own environment so it runs in seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "ledger" / "example.zip"
SERVER = ("flask", "flask_login", "flask_wtf", "flask_limiter", "flask_babel", "werkzeug",
          "sqlalchemy", "alembic", "gevent", "gunicorn", "psycopg", "redis", "reportlab",
          "qrcode", "pyotp", "limits")
# Run the console script with every server library made unimportable.
BLOCKED = f"""
import sys
from importlib.abc import MetaPathFinder

class Blocked(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {SERVER!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Blocked())
from ownervote.cli import main
main(sys.argv[1:], prog_name="ownervote")
"""


def ownervote(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCKED, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_help_version_and_verify_need_no_server_library() -> None:
    r = ownervote("--help")
    assert r.returncode == 0 and "verify" in r.stdout and "ownervote[server]" in r.stdout, r
    from ownervote import __version__

    r = ownervote("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"ownervote, version {__version__}", r
    r = ownervote("verify", str(EXAMPLE), "--workers", "1")
    assert r.returncode == 0 and r.stdout.rstrip().endswith("with the notice)"), r
    assert r.stdout.rstrip().splitlines()[-1].startswith("VALID (log key not pinned: "), r


@pytest.mark.parametrize(
    "args",
    [("serve",), ("serve", "--help"), ("db", "upgrade"), ("staff", "list"), ("demo",),
     ("bundle", "export", "--assembly", "1", "--out", "x.zip")],
)
def test_a_server_command_says_what_to_install(args: tuple[str, ...]) -> None:
    r = ownervote(*args)
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith(f"ownervote {args[0]}: this command needs the server's packages")
    assert r.stderr.rstrip().endswith("pip install 'ownervote[server]'"), r.stderr


def test_a_witness_makes_its_key_offline_and_needs_the_server_to_serve(tmp_path: Path) -> None:
    r = ownervote("keys", "witness-new", "--name", "w.example/w1", "--out", "w.key", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("w.example/w1+"), r
    (tmp_path / "logs").write_text(
        "ownervote.example/log+6e5e28e4+AZVDuCoKMyuSS6y1yGKhw50fcnKU5iYOaKEccrFGj8ML\n")
    r = ownervote("witness", "serve", "--key", "w.key", "--logs", "logs", "--state", "st",
                  cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r
    assert r.stderr.startswith("ownervote witness: this command needs the server's packages (")
    assert "pip install 'ownervote[server]'" in r.stderr


def test_a_missing_module_of_ours_is_a_bug_not_a_missing_extra() -> None:
    from ownervote.cli import missing_dependency

    with pytest.raises(ModuleNotFoundError):
        missing_dependency(ModuleNotFoundError("x", name="ownervote.nowhere"), "serve")
