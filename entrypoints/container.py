"""The dependency-injector container that wires adapters into use cases.

Only entrypoints touch the container. Tests override providers (for example the
repository or the gateway) instead of patching modules.
"""

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from dependency_injector import containers, providers

from adapters.bitrix24_http import HttpxBitrix24Gateway, default_client
from adapters.memory import InMemoryTokenRepository
from adapters.mongo import MongoTokenRepository
from adapters.sqlite import SqliteTokenRepository
from application.contacts import FormatContact
from application.errors import ConfigurationError
from application.events import UninstallApp, UpdateApp
from application.install import InstallApp
from application.ports import TokenRepository
from application.rest import PortalRest
from entrypoints.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_repository(storage_url: str) -> TokenRepository:
    """The repository a storage URL names: `sqlite:///PATH`, `mongodb://...`,
    `mongodb+srv://...` or `memory://`."""
    scheme = urlsplit(storage_url).scheme
    if scheme == "sqlite":
        return SqliteTokenRepository(Path(storage_url.removeprefix("sqlite://")))
    if scheme in {"mongodb", "mongodb+srv"}:
        return MongoTokenRepository.from_url(storage_url)
    if scheme == "memory":
        return InMemoryTokenRepository()
    raise ConfigurationError(
        "B24_STORAGE_URL must start with sqlite://, mongodb:// or memory://"
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Object(utc_now)

    portals = providers.Singleton(build_repository, settings.provided.storage_url)
    http_client: providers.Singleton[httpx.AsyncClient] = providers.Singleton(
        default_client
    )
    gateway = providers.Singleton(
        HttpxBitrix24Gateway,
        client=http_client,
        oauth_url=settings.provided.oauth_url,
        client_id=settings.provided.client_id,
        client_secret=settings.provided.client_secret,
        clock=clock,
    )
    rest = providers.Singleton(PortalRest, portals, gateway, clock)

    install_app = providers.Factory(
        InstallApp, portals, gateway, rest, settings.provided.events_url, clock
    )
    update_app = providers.Factory(
        UpdateApp, portals, gateway, rest, settings.provided.events_url, clock
    )
    uninstall_app = providers.Factory(UninstallApp, portals, clock)
    format_contact = providers.Factory(FormatContact, rest)
