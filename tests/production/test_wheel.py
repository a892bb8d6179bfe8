"""An auditor can install the verifier: ``python -m build`` makes the sdist and the wheel,
each installs into a clean virtual environment (its dependencies from the package index,
as ``pip install ownervote`` would fetch them), and there ``ownervote verify`` checks a
bundle without any of the server's libraries being installed or imported.

Needs the package index (PyPI or the configured mirror): without it the test fails
saying so; it is never skipped (.ci/run fails a run that skips a test of this folder).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from ledger import keys, synthetic
from ledger.note import ALG_COSIGNATURE_V1
from ledger.producer import Producer
from ownervote import __version__

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "ledger" / "example.zip"
TALLY = ROOT / "tests" / "data" / "tally" / "01_simple_ordinary_pass.json"
LOG = keys.generate("ownervote.example/log")
WITNESS = keys.generate("street-office.example/w1", ALG_COSIGNATURE_V1)
# the server's libraries (import names), none of which the verifier's install may hold
SERVER = ("flask", "flask_login", "flask_wtf", "flask_limiter", "flask_babel", "werkzeug",
          "sqlalchemy", "alembic", "gevent", "gunicorn", "psycopg", "redis", "reportlab",
          "qrcode", "pyotp")
BASE = {"click", "cryptography", "coincurve"}


def run(args: list[str | Path], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """A command outside the checkout, with nothing of the test's environment on its path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def ok(proc: subprocess.CompletedProcess, what: str) -> str:
    assert proc.returncode == 0, (
        f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, as CI builds them (the wheel is built from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    ok(run([sys.executable, "-m", "build", "--outdir", out, ROOT], out), "python -m build")
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(out.iterdir())
    return {"sdist": sdists[0], "wheel": wheels[0]}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A bundle of a small closed assembly, cosigned, naming this version as producer."""
    log = synthetic.build(LOG, heads=6, ballots=10, items=2)
    log.cosign_all(WITNESS, 1_767_300_000)
    path = tmp_path_factory.mktemp("bundle") / "bundle.zip"
    return log.write_bundle(path, [WITNESS.verifier], Producer("ownervote", __version__))


def install(dist: dict[str, Path], kind: str, where: Path) -> Path:
    """A fresh virtual environment with the sdist or the wheel installed; its bin/."""
    ok(run([sys.executable, "-m", "venv", where / "venv"], where), "python -m venv")
    bin_dir = where / "venv" / "bin"
    t0 = time.perf_counter()
    ok(run([bin_dir / "python", "-m", "pip", "install", "--disable-pip-version-check",
            dist[kind]], where), f"pip install of the {kind} (is the package index reachable?)")
    print(f"pip install of the {kind} into a clean venv: {time.perf_counter() - t0:.1f} s")
    return bin_dir


def test_the_distributions_hold_what_the_server_and_the_auditor_need(dist) -> None:
    assert dist["wheel"].name == f"ownervote-{__version__}-py3-none-any.whl"
    assert dist["sdist"].name == f"ownervote-{__version__}.tar.gz"
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = set(whl.namelist())
        meta = Parser().parsestr(whl.read(f"ownervote-{__version__}.dist-info/METADATA").decode())
    assert meta["Version"] == __version__ and meta["License-Expression"] == "Apache-2.0"
    requires = meta.get_all("Requires-Dist") or []
    base = {r.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
            for r in requires if "extra ==" not in r}
    assert base == BASE, requires
    assert any(r.startswith("flask") and 'extra == "server"' in r for r in requires), requires
    for needed in ("web/templates/base.html", "web/static/favicon.svg",
                   "web/translations/zh_Hans_CN/owner.po", "ownervote/migrations/env.py",
                   "ownervote/migrations/script.py.mako",
                   "ownervote/migrations/versions/0001_initial_schema.py",
                   "ledger/verifier.py", "ledger/producer.py", "ownervote/cli.py",
                   f"ownervote-{__version__}.dist-info/licenses/LICENSE"):
        assert needed in names, f"the wheel lacks {needed}"
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n
                or n.endswith((".pyc", ".mo"))]
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "web").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"
                 and p.suffix != ".mo"}
    assert templates <= names, sorted(templates - names)
    with tarfile.open(dist["sdist"]) as sdist:
        members = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for needed in ("LICENSE", "README.md", "pyproject.toml", "MANIFEST.in",
                   "docs/audit-bundle.md", "docs/auditor-guide.md",
                   "web/templates/base.html", "ownervote/migrations/env.py"):
        assert needed in members, f"the sdist lacks {needed}"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_installed_verifier_checks_a_bundle_without_the_server(
    dist, bundle: Path, tmp_path: Path, kind: str
) -> None:
    bin_dir = install(dist, kind, tmp_path)
    python, ownervote = bin_dir / "python", bin_dir / "ownervote"

    # only the verifier's dependencies were installed, and ours is the installed copy
    probe = (
        "import importlib.util, json, ownervote\n"
        f"print(json.dumps({{'file': ownervote.__file__, 'version': ownervote.__version__,"
        f" 'server': [m for m in {SERVER!r} if importlib.util.find_spec(m)]}}))\n"
    )
    found = json.loads(ok(run([python, "-c", probe], tmp_path), "python -c"))
    assert found["server"] == [], f"server libraries installed: {found['server']}"
    assert found["version"] == __version__
    assert str(tmp_path / "venv") in found["file"] and str(ROOT) not in found["file"]

    out = ok(run([ownervote, "verify", bundle, "--log-key", LOG.verifier.vkey], tmp_path),
             "ownervote verify")
    assert out.rstrip().splitlines()[-1] == "VALID", out
    assert f"produced by ownervote {__version__}; verified with ownervote {__version__}" in out
    assert "10 ballots" in out and "cosigned by street-office.example/w1" in out

    # the same run in one interpreter: nothing of the server was imported
    code = (
        "import sys\nfrom ownervote.cli import main\n"
        "try:\n"
        f"    main(['verify', {str(bundle)!r}, '--workers', '2'])\n"
        "except SystemExit as e:\n"
        f"    print('EXIT', e.code, sorted({{m.split('.')[0] for m in sys.modules}}"
        f" & set({SERVER!r} + ('web',))))\n"
    )
    last = ok(run([python, "-c", code], tmp_path), "verify in one interpreter").splitlines()[-1]
    assert last == "EXIT 0 []", last

    # an older bundle without producer.json verifies; a changed one does not
    out = ok(run([ownervote, "verify", EXAMPLE], tmp_path), "ownervote verify example.zip")
    assert "produced by: not named" in out, out
    assert out.rstrip().splitlines()[-1].startswith("VALID (log key not pinned: compare "), out
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(forged, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "result.json":  # the first item's verdict turned round
                flip = (b'"passed":false', b'"passed":true')
                data = data.replace(*(flip if flip[0] in data else flip[::-1]), 1)
            zout.writestr(info, data)
    assert zipfile.ZipFile(forged).read("result.json") != zipfile.ZipFile(bundle).read(
        "result.json"), "the forgery changed nothing"
    bad = run([ownervote, "verify", forged], tmp_path)
    assert bad.returncode == 1 and bad.stdout.rstrip().endswith("INVALID"), bad.stdout

    # the rest of the command line: help and tally work, server commands say what to install
    assert "verify" in ok(run([ownervote, "--help"], tmp_path), "ownervote --help")
    assert ok(run([ownervote, "--version"], tmp_path), "--version").strip().endswith(__version__)
    case = json.loads(TALLY.read_text(encoding="utf-8"))
    (tmp_path / "tally.json").write_text(json.dumps(case["input"]), encoding="utf-8")
    tallied = json.loads(ok(run([ownervote, "tally", "tally.json"], tmp_path), "ownervote tally"))
    assert tallied["items"][0]["passed"] is case["expected"]["items"][0]["passed"] is True
    for command in (["serve"], ["db", "upgrade"], ["staff", "list"], ["demo"]):
        proc = run([ownervote, *command], tmp_path)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert "pip install 'ownervote[server]'" in proc.stderr, proc.stderr
