"""Settings from the environment (12-factor).

Every secret comes from an ``OWNERVOTE_*`` variable.  In development a missing
secret is generated once, persisted (mode 0600) in the instance folder and
announced with a warning; in production (``OWNERVOTE_ENV=production``) a
missing secret is an error, so a server never runs on throw-away keys.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: (instance folder, variables) already warned about in this process — and in the processes
#: it forks: the demo's and the server's gunicorn workers load the settings again.
_warned_dev_secrets: set[tuple[Path, tuple[str, ...]]] = set()

# name of the environment variable -> number of random bytes for a dev value
SECRET_VARIABLES: dict[str, int] = {
    "OWNERVOTE_SECRET_KEY": 32,  # Flask session signing
    "OWNERVOTE_ID_HASH_KEY": 32,  # HMAC-SHA-256 key for ID numbers
    "OWNERVOTE_PII_KEYS": 32,  # AES-256-GCM key ring for names and phones
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: str
    instance_dir: Path
    database_url: str
    secret_key: bytes
    id_hash_key: bytes
    # key id -> 32-byte AES key; the first entry encrypts, all decrypt
    pii_keys: tuple[tuple[str, bytes], ...]
    log_key_file: Path
    redis_url: str | None = None
    base_url: str | None = None
    sms_url: str | None = None
    sms_key: str | None = None
    generated: tuple[str, ...] = field(default=())
    # service timer (``ownervote serve``): seconds between ticks (0: off) and the age after
    # which an open log that grew gets a new signed checkpoint
    timer_seconds: int = 30
    checkpoint_seconds: int = 300
    # casting throttles (Flask-Limiter notation): per device key; per client address ("" off:
    # the reverse proxy limits requests per address, see docs/deployment.md); the per-head
    # allowance, counted from the head's ballots in the log (ledger.allowance)
    cast_limit_per_key: str = "60 per day"
    cast_limit_per_head: str = "60 per day"
    cast_limit_per_client: str = ""
    # prefix of the throttling keys in Redis (several deployments may share one Redis)
    redis_prefix: str = "ownervote"
    # witnesses the log asks for cosignatures: "<URL> <vkey>" entries separated by ";" or
    # newlines (ledger.cosigning.parse_witness_list)
    witnesses: str = ""
    # how many of them must cosign each log's newest checkpoint (None: a majority)
    witness_quorum: int | None = None
    # the reverse proxies (addresses or networks, comma-separated; "*": any) whose
    # X-Forwarded-For/-Proto/-Host are believed in production; anyone else's are dropped
    forwarded_allow_ips: str = "127.0.0.1"
    # seconds between the open dashboard's updates of its figures (1 to 30)
    dashboard_refresh_seconds: int = 15

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def embedded_database(self) -> bool:
        """The database is the embedded SQLite default (``OWNERVOTE_DATABASE_URL`` not set)."""
        return self.database_url == default_database_url(self.instance_dir)


def default_database_url(instance_dir: Path) -> str:
    """The embedded SQLite database in the instance folder: the default database."""
    return f"sqlite:///{instance_dir / 'ownervote.sqlite3'}"


def _b64(name: str, value: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:
        raise ConfigError(f"{name} is not valid base64") from exc
    if len(raw) < 16:
        raise ConfigError(f"{name} must encode at least 16 bytes, got {len(raw)}")
    return raw


def parse_pii_keys(value: str) -> tuple[tuple[str, bytes], ...]:
    """``kid:base64key[,kid:base64key...]``; the first key encrypts new data.

    Rotation: put a new key first, keep the old ones after it, run
    ``ownervote keys rotate-pii`` to re-encrypt, then drop the old keys.
    """
    ring: list[tuple[str, bytes]] = []
    for n, part in enumerate(p.strip() for p in value.split(",") if p.strip()):
        kid, sep, b64key = part.partition(":")
        if not sep:
            kid, b64key = f"k{n}", part
        key = _b64("OWNERVOTE_PII_KEYS", b64key)
        if len(key) != 32:
            raise ConfigError(f"OWNERVOTE_PII_KEYS key {kid!r} must be 32 bytes (AES-256)")
        if not kid.isalnum():
            raise ConfigError(f"OWNERVOTE_PII_KEYS key id {kid!r} must be letters and digits")
        ring.append((kid, key))
    if not ring:
        raise ConfigError("OWNERVOTE_PII_KEYS is empty")
    return tuple(ring)


def _dev_secrets(instance_dir: Path) -> dict[str, str]:
    path = instance_dir / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    instance_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # secrets inside: ours only
    values = {
        name: base64.urlsafe_b64encode(secrets.token_bytes(size)).decode().rstrip("=")
        for name, size in SECRET_VARIABLES.items()
    }
    values["OWNERVOTE_PII_KEYS"] = "dev1:" + values["OWNERVOTE_PII_KEYS"]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh)
    return values


def _seconds(env_vars: Mapping[str, str], name: str, default: int) -> int:
    raw = env_vars.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number of seconds, not {raw!r}")
    return int(raw)


def _optional_count(env_vars: Mapping[str, str], name: str) -> int | None:
    raw = env_vars.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number from 1, not {raw!r}")
    return int(raw)
def _refresh_seconds(env_vars: Mapping[str, str]) -> int:
    name = "OWNERVOTE_DASHBOARD_REFRESH_SECONDS"
    value = _seconds(env_vars, name, 15)
    if not 1 <= value <= 30:
        raise ConfigError(f"{name} must be 1 to 30 seconds, not {value}")
    return value


def _limit(env_vars: Mapping[str, str], name: str, default: str) -> str:
    value = env_vars.get(name, default).strip()
    if not value:
        return ""  # no such limit
    try:
        from limits import parse_many

        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: {value!r} is not a rate limit like '20 per minute'") from exc
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env_vars = os.environ if environ is None else environ
    env = env_vars.get("OWNERVOTE_ENV", "development").strip().lower()
    if env not in ("development", "production", "test"):
        raise ConfigError(f"OWNERVOTE_ENV must be development, production or test, not {env!r}")
    instance_dir = Path(env_vars.get("OWNERVOTE_INSTANCE_DIR", "instance")).resolve()
    database_url = env_vars.get("OWNERVOTE_DATABASE_URL") or default_database_url(instance_dir)

    missing = [name for name in SECRET_VARIABLES if not env_vars.get(name)]
    generated: tuple[str, ...] = ()
    values = {name: env_vars.get(name, "") for name in SECRET_VARIABLES}
    if missing:
        if env == "production":
            raise ConfigError(
                "production mode needs these secrets set in the environment: " + ", ".join(missing)
            )
        dev = _dev_secrets(instance_dir)
        for name in missing:
            values[name] = dev[name]
        generated = tuple(missing)
        if (instance_dir, generated) not in _warned_dev_secrets:
            _warned_dev_secrets.add((instance_dir, generated))
            log.warning(
                "using generated development secrets from %s for %s; set them in production",
                instance_dir / "dev-secrets.json",
                ", ".join(missing),
            )

    log_key_file = Path(
        env_vars.get("OWNERVOTE_LOG_KEY_FILE", str(instance_dir / "log-signing.key"))
    )
    return Settings(
        env=env,
        instance_dir=instance_dir,
        database_url=database_url,
        secret_key=_b64("OWNERVOTE_SECRET_KEY", values["OWNERVOTE_SECRET_KEY"]),
        id_hash_key=_b64("OWNERVOTE_ID_HASH_KEY", values["OWNERVOTE_ID_HASH_KEY"]),
        pii_keys=parse_pii_keys(values["OWNERVOTE_PII_KEYS"]),
        log_key_file=log_key_file,
        redis_url=env_vars.get("OWNERVOTE_REDIS_URL") or None,
        base_url=env_vars.get("OWNERVOTE_BASE_URL") or None,
        sms_url=env_vars.get("OWNERVOTE_SMS_URL") or None,
        sms_key=env_vars.get("OWNERVOTE_SMS_KEY") or None,
        generated=generated,
        timer_seconds=_seconds(env_vars, "OWNERVOTE_TIMER_SECONDS", 30),
        checkpoint_seconds=_seconds(env_vars, "OWNERVOTE_CHECKPOINT_SECONDS", 300),
        cast_limit_per_key=_limit(env_vars, "OWNERVOTE_CAST_LIMIT_PER_KEY", "60 per day"),
        cast_limit_per_client=_limit(env_vars, "OWNERVOTE_CAST_LIMIT_PER_CLIENT", ""),
        cast_limit_per_head=_limit(env_vars, "OWNERVOTE_CAST_LIMIT_PER_HEAD", "60 per day"),
        redis_prefix=env_vars.get("OWNERVOTE_REDIS_PREFIX", "").strip() or "ownervote",
        witnesses=env_vars.get("OWNERVOTE_WITNESSES", "").strip(),
        witness_quorum=_optional_count(env_vars, "OWNERVOTE_WITNESS_QUORUM"),
        forwarded_allow_ips=env_vars.get("OWNERVOTE_FORWARDED_ALLOW_IPS", "").strip()
        or "127.0.0.1",
        dashboard_refresh_seconds=_refresh_seconds(env_vars),
    )
