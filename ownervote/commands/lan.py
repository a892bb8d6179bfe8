"""``ownervote demo --lan``: the demo over HTTPS on this machine's LAN address, for a phone.

A phone makes the owner's signing key with WebCrypto, which browsers offer only in a secure
context: a page served over https, or over http from the phone's own loopback.  A phone on
the same Wi-Fi reaches the demo at ``http://192.168.x.y:5000/``, which is neither, so the
demo serves https there with a self-signed certificate made for that address (its subject
alternative name is the IP address).  The phone warns once that it does not know who signed
the certificate; the owner accepts after comparing the SHA-256 fingerprint the demo printed
with the one the browser shows.

The certificate and its key are kept in the instance folder (``demo-tls/``) and reused while
they name the same address and are valid for another day; otherwise a new pair is made.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

#: Folder of the instance directory holding the certificate and its key.
TLS_FOLDER = "demo-tls"
#: Browsers refuse server certificates valid for longer than 398 days.
VALID_DAYS = 397


class NoLanAddress(Exception):
    """This machine has no non-loopback IPv4 address to serve the demo on."""


@dataclass(frozen=True)
class DemoCertificate:
    cert_file: Path
    key_file: Path
    address: str
    fingerprint: str  # SHA-256 of the DER certificate, "AB:CD:…" as browsers show it


def lan_address() -> str:
    """This machine's address on its local network: the source address of the route to a
    public address (a UDP "connect" sends nothing)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never answered
        address = probe.getsockname()[0]
    except OSError as exc:
        raise NoLanAddress(f"this machine has no network route ({exc})") from exc
    finally:
        probe.close()
    if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0":
        raise NoLanAddress("this machine has only a loopback address")
    return address


def fingerprint_of(cert_pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    digest = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def _still_good(cert_pem: bytes, address: str, now: dt.datetime) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    covers = ipaddress.ip_address(address) in names.get_values_for_type(x509.IPAddress)
    return covers and cert.not_valid_after_utc - now > dt.timedelta(days=1)


def _new_pair(address: str, now: dt.datetime) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ownervote demo {address}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def demo_certificate(instance_dir: Path, address: str,
                     now: dt.datetime | None = None) -> DemoCertificate:
    """The certificate for ``address`` in the instance folder, made when missing or stale."""
    now = now or dt.datetime.now(dt.UTC)
    folder = instance_dir / TLS_FOLDER
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    if not (cert_file.exists() and key_file.exists()
            and _still_good(cert_file.read_bytes(), address, now)):
        folder.mkdir(parents=True, exist_ok=True)
        cert_pem, key_pem = _new_pair(address, now)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key_pem)
        cert_file.write_bytes(cert_pem)
    return DemoCertificate(cert_file, key_file, address, fingerprint_of(cert_file.read_bytes()))
