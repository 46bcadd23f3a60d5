"""The service's configuration, read from environment variables."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from application.errors import ConfigurationError

DEFAULT_OAUTH_URL = "https://oauth.bitrix.info"
DEFAULT_DATA_DIR = "data"
#: How long a worker holds a portal without renewing; a crashed worker's portal
#: goes to another after this. Longer than the slowest request (65 s).
DEFAULT_WORKER_LEASE = 150.0
#: How often workers collect portals' offline queues of missed events.
DEFAULT_OFFLINE_INTERVAL = 300.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service needs to know about its deployment.

    `public_url` is the base address Bitrix24 reaches the service at; the install
    and events handlers hang below it. `allow_insecure_loopback` lets the service
    talk to portals over plain HTTP on loopback: for the emulator only.
    """

    client_id: str
    client_secret: str = field(repr=False)
    public_url: str
    storage_url: str
    oauth_url: str = DEFAULT_OAUTH_URL
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    allow_insecure_loopback: bool = False
    worker_lease_seconds: float = DEFAULT_WORKER_LEASE
    offline_interval_seconds: float = DEFAULT_OFFLINE_INTERVAL
    sealing_keys: str | None = field(default=None, repr=False)

    @property
    def sealing_key_file(self) -> Path:
        """Where the keys that seal tokens at rest live, unless given inline."""
        return self.data_dir / "sealing.key"

    @property
    def events_url(self) -> str:
        return f"{self.public_url}/events"

    @property
    def install_url(self) -> str:
        return f"{self.public_url}/install"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Read `B24_*` variables; `ConfigurationError` names any missing or bad."""
        data_dir = Path(environ.get("B24_DATA_DIR", DEFAULT_DATA_DIR))
        default_storage = f"sqlite:///{data_dir / 'b24names.sqlite3'}"
        public_url = _url(environ, "B24_PUBLIC_URL", None)
        if urlsplit(public_url).query or urlsplit(public_url).fragment:
            raise ConfigurationError("B24_PUBLIC_URL must have no query or fragment")
        return cls(
            client_id=_required(environ, "B24_CLIENT_ID"),
            client_secret=_required(environ, "B24_CLIENT_SECRET"),
            public_url=public_url,
            storage_url=environ.get("B24_STORAGE_URL") or default_storage,
            oauth_url=_url(environ, "B24_OAUTH_URL", DEFAULT_OAUTH_URL),
            data_dir=data_dir,
            allow_insecure_loopback=_flag(environ, "B24_ALLOW_INSECURE_LOOPBACK"),
            worker_lease_seconds=_seconds(
                environ, "B24_WORKER_LEASE_SECONDS", DEFAULT_WORKER_LEASE
            ),
            offline_interval_seconds=_seconds(
                environ, "B24_OFFLINE_INTERVAL_SECONDS", DEFAULT_OFFLINE_INTERVAL
            ),
            sealing_keys=environ.get("B24_SEALING_KEYS", "").strip() or None,
        )


#: Every variable `Settings.from_env` reads, for documentation and checks.
VARIABLES = (
    "B24_CLIENT_ID",
    "B24_CLIENT_SECRET",
    "B24_PUBLIC_URL",
    "B24_STORAGE_URL",
    "B24_OAUTH_URL",
    "B24_DATA_DIR",
    "B24_ALLOW_INSECURE_LOOPBACK",
    "B24_WORKER_LEASE_SECONDS",
    "B24_OFFLINE_INTERVAL_SECONDS",
    "B24_SEALING_KEYS",
)


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in {"", "0", "false", "no"}:
        return False
    if value in {"1", "true", "yes"}:
        return True
    raise ConfigurationError(f"{name} must be true or false")


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 <= value <= 3600:
        raise ConfigurationError(f"{name} must be a number of seconds from 1 to 3600")
    return value


def _url(environ: Mapping[str, str], name: str, default: str | None) -> str:
    value = environ.get(name, "").strip() or default
    if value is None:
        raise ConfigurationError(f"{name} is not set")

    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigurationError(f"{name} must be an http(s) URL")
    return value.rstrip("/")
