"""``ownervote demo``: a demo a real phone can use, that says everything on every start.

* ``--lan`` serves https on the LAN address with a self-signed certificate kept in the
  instance folder (its subject alternative name is that IP address); the QR code printed
  decodes (zxing-cpp, from the printed half-blocks) to that https URL, and the SHA-256
  fingerprint printed is the certificate's; a restart reuses the certificate;
* a restart prints the staff TOTP secrets again; ``--reset`` loads the demo afresh;
* the development-secrets warning is logged once per process;
* gunicorn's control socket is in the instance folder;
* some non-voters of the open assembly have a verified phone, so a reminder reaches them
  (the demo's SMS outbox);
* the demo's witness (the street office) starts before the demo is loaded: every demo
  notice fixes its witness policy (1 of 1), the witness cosigns the logs over HTTP and the
  closed assembly's bundle verifies with the policy, after ``--reset`` too.

The commands run with the embedded SQLite default in a test instance folder; gunicorn is
replaced by a recorder except in the last test, which serves the demo for real.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ownervote.cli import main

LAN = "192.0.2.77"  # TEST-NET-1: the address lan_address() is made to answer


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    return {"OWNERVOTE_ENV": "development", "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "inst"),
            "OWNERVOTE_DATABASE_URL": None, "OWNERVOTE_BASE_URL": None, "OWNERVOTE_DEMO": None,
            "OWNERVOTE_SECRET_KEY": None, "OWNERVOTE_ID_HASH_KEY": None,
            "OWNERVOTE_PII_KEYS": None, "OWNERVOTE_WITNESSES": None}


@pytest.fixture
def served(monkeypatch) -> list[dict]:
    """What ``run_gunicorn`` was asked to serve (nothing is served)."""
    calls: list[dict] = []

    def record(host, port, workers, threads, **kwargs):
        calls.append({"host": host, "port": port, **kwargs})

    monkeypatch.setattr("ownervote.commands.serve.run_gunicorn", record)
    monkeypatch.setattr("ownervote.commands.lan.lan_address", lambda: LAN)
    # the command sets these with os.environ.setdefault: start each run without them
    for name in ("OWNERVOTE_BASE_URL", "OWNERVOTE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    return calls


def demo(env: dict, *args: str) -> Result:
    for name in ("OWNERVOTE_BASE_URL", "OWNERVOTE_DEMO"):
        os.environ.pop(name, None)
    result = CliRunner().invoke(main, ["demo", *args], env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def printed_qr_text(output: str) -> str:
    """Decode the QR code the command printed (half-block characters, one character per
    module column and two module rows) with zxing-cpp."""
    import zxingcpp
    from PIL import Image

    lines = output.split("(or scan):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    lines = [line for line in lines if line.strip()]
    upper = {"█": 1, "▀": 1, "▄": 0, " ": 0, "\xa0": 0}
    lower = {"█": 1, "▄": 1, "▀": 0, " ": 0, "\xa0": 0}
    rows: list[list[int]] = []
    for line in lines:
        rows.append([upper[ch] for ch in line])
        rows.append([lower[ch] for ch in line])
    scale, quiet = 8, 4
    width, height = len(rows[0]) + 2 * quiet, len(rows) + 2 * quiet
    image = Image.new("L", (width * scale, height * scale), 255)
    for y, row in enumerate(rows):
        for x, printed in enumerate(row):
            # printed inverted (for a dark terminal): a printed block is a light module
            if not printed:
                image.paste(0, ((x + quiet) * scale, (y + quiet) * scale,
                                (x + quiet + 1) * scale, (y + quiet + 1) * scale))
    found = zxingcpp.read_barcode(image)
    assert found is not None, "the printed QR code does not decode"
    return found.text


def printed_secrets(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+\w+\s+(\S+)\s+\S+\s+TOTP secret (\S+)$", output, re.M))


def test_lan_serves_https_with_a_certificate_for_the_lan_address(env, served, tmp_path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    first = demo(env, "--lan")
    assert printed_qr_text(first.output) == f"https://{LAN}:5000/"
    assert f"owners open https://{LAN}:5000/ on a phone" in first.output
    instance = tmp_path / "inst"
    cert_file, key_file = instance / "demo-tls" / "cert.pem", instance / "demo-tls" / "key.pem"
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(LAN)]
    assert cert.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=398)
    fingerprint = ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))
    assert f"  {fingerprint}\n" in first.output
    assert key_file.stat().st_mode & 0o077 == 0
    call = served[-1]
    assert call["host"] == LAN and call["tls"] == (cert_file, key_file)
    assert call["instance_dir"] == instance

    again = demo(env, "--lan")  # the same certificate, the same secrets printed again
    assert f"  {fingerprint}\n" in again.output
    assert printed_secrets(again.output) == printed_secrets(first.output)
    assert len(printed_secrets(first.output)) == 4


def test_a_restart_prints_the_secrets_and_reset_starts_afresh(env, served, tmp_path) -> None:
    first = demo(env)
    assert printed_qr_text(first.output) == "http://127.0.0.1:5000/"
    secrets = printed_secrets(first.output)
    assert len(secrets) == 4
    assert printed_secrets(demo(env).output) == secrets
    reset = demo(env, "--reset")
    assert "removed the demo database" in reset.output
    renewed = printed_secrets(reset.output)
    assert renewed.keys() == secrets.keys() and set(renewed.values()).isdisjoint(secrets.values())


def test_reset_leaves_a_named_database_alone(env, served, tmp_path) -> None:
    named = tmp_path / "named.sqlite3"
    named.write_bytes(b"")
    result = CliRunner().invoke(main, ["demo", "--reset"],
                                env={**env, "OWNERVOTE_DATABASE_URL": f"sqlite:///{named}"})
    assert result.exit_code == 2 and "--reset only removes" in result.stderr
    assert named.exists() and served == []


def test_the_development_secrets_warning_is_logged_once(tmp_path, caplog) -> None:
    from ownervote.config import load_settings

    environ = {"OWNERVOTE_INSTANCE_DIR": str(tmp_path / "once")}
    for _ in range(3):
        load_settings(environ)
    warnings = [r for r in caplog.records if "development secrets" in r.getMessage()]
    assert len(warnings) == 1


def test_the_control_socket_is_in_the_instance_folder(tmp_path) -> None:
    from ownervote.commands.serve import control_socket_path

    assert control_socket_path(tmp_path) == tmp_path / "gunicorn.ctl"
    assert control_socket_path(tmp_path / ("x" * 120)) is None  # too long for a Unix socket


def test_some_non_voters_can_be_reminded(env, served, tmp_path) -> None:
    """The open assembly's reminders reach the non-voters who verified a phone."""
    demo(env)
    from ownervote.commands.invocation import database
    from ownervote.config import load_settings
    from ownervote.services import figures, reminders
    from voting.store.models import Assembly

    settings = load_settings({"OWNERVOTE_INSTANCE_DIR": str(tmp_path / "inst")})
    with database(settings) as session:
        from sqlalchemy import select

        from identity.pii import PiiCipher
        from ownervote.services.demo_secret import VOTING_TITLE

        open_id = session.scalars(select(Assembly.id).where(
            Assembly.status == "open", Assembly.title != VOTING_TITLE)).one()
        a = session.get_one(Assembly, open_id)
        owed = figures.non_voters(session, a, figures.snapshot(session, a.id), None,
                                  cipher=PiiCipher.from_settings(settings))
        reach = figures.reachable(session, owed)
        assert sum(1 for n in reach.values() if n) >= 10
        session.rollback()
        done = reminders.send(session, open_id, building=None, text="请投票",
                              settings=settings, cipher=PiiCipher.from_settings(settings),
                              now=dt.datetime.now(dt.UTC), actor="test")
    assert done.sent >= 10 and done.unreachable > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_lan_demo_really_serves_https(tmp_path) -> None:
    """The real command: https on this machine's LAN address, the certificate verifying for
    that address, the control socket in the instance folder."""
    import requests

    from ownervote.commands.lan import NoLanAddress, lan_address

    try:
        address = lan_address()
    except NoLanAddress:
        pytest.skip("this machine has no LAN address")
    instance, port = tmp_path / "inst", _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OWNERVOTE_")}
    env |= {"OWNERVOTE_INSTANCE_DIR": str(instance), "OWNERVOTE_ENV": "development"}
    log = (tmp_path / "demo.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "ownervote"), "demo", "--lan",
                             "--port", str(port), "--workers", "1"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = requests.get(f"https://{address}:{port}/healthz", timeout=2,
                                 verify=str(instance / "demo-tls" / "cert.pem"))
                break
            except OSError:  # not listening yet, or the certificate not yet made
                assert proc.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "demo.log").read_text()
                time.sleep(0.5)
        assert r.json() == {"status": "ok"}
        output = (tmp_path / "demo.log").read_text()
        assert output.count("using generated development secrets") == 1, output
        assert (instance / "gunicorn.ctl").exists() or "Control socket" not in output
        served_cert = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((address, port)))
        fingerprint = hashlib.sha256(served_cert).hexdigest().upper()
        assert ":".join(re.findall("..", fingerprint)) in output
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _cosigned_and_verified(tmp_path: Path, output: str) -> None:
    """Every demo log's policy names the witness the command started, the witness cosigns
    their newest checkpoints, and the announced assemblies' bundles verify with the policy."""
    from sqlalchemy import select

    from ledger.verifier import verify_bundle
    from ownervote.commands.demo_witness import WITNESS_NAME
    from ownervote.commands.invocation import database
    from ownervote.config import load_settings
    from ownervote.db import make_engine, make_session_factory
    from ownervote.services import bundles, witnessing
    from ownervote.services.trust_anchors import trust_anchors
    from voting.store.models import Assembly

    line = re.search(r"witness \(the street office\) cosigning the logs: (\S+) (\S+)", output)
    assert line is not None, output
    url, vkey = line.groups()
    settings = load_settings({"OWNERVOTE_INSTANCE_DIR": str(tmp_path / "inst"),
                              "OWNERVOTE_WITNESSES": f"{url} {vkey}"})
    with database(settings) as session:
        statuses = dict(session.execute(select(Assembly.id, Assembly.status)).all())
        for aid in statuses:
            anchors = trust_anchors(session, aid)
            assert anchors is not None and anchors.quorum == 1
            assert [w.vkey for w in anchors.witnesses] == [vkey]
        session.rollback()
    engine = make_engine(settings.database_url)
    try:
        outcomes = witnessing.request_cosignatures(make_session_factory(engine), settings)
    finally:
        engine.dispose()
    assert sorted(o.assembly_id for o in outcomes if o.cosigned) == sorted(statuses), outcomes
    announced = [aid for aid, status in statuses.items() if status == "announced"]
    assert len(announced) == 2  # the open-ballot election and the secret by-election
    for aid in announced:
        with database(settings) as session:
            summary = bundles.export(session, settings, aid, tmp_path / f"closed-{aid}.zip")
            session.commit()
        assert summary["witnesses"] == [WITNESS_NAME]
        report = verify_bundle(tmp_path / f"closed-{aid}.zip", workers=1)
        assert report.valid, report.checks
        assert report.info["policy_cosigners"] == [WITNESS_NAME]


def test_the_demo_witness_cosigns_with_the_policy_fixed_at_the_notice(env, served,
                                                                       tmp_path) -> None:
    _cosigned_and_verified(tmp_path, demo(env).output)
    # --reset: new logs under the old origins, which the witness has forgotten
    _cosigned_and_verified(tmp_path, demo(env, "--reset").output)
