"""The dependency-injector container that wires adapters into use cases.

Only entrypoints touch the container. Tests override providers (for example the
repository or the gateway) instead of patching modules.
"""

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from dependency_injector import containers, providers

from adapters.address_policy import AddressPolicy
from adapters.bitrix24_http import HttpxBitrix24Gateway, default_client
from adapters.memory import InMemoryTokenRepository
from adapters.memory_inbox import InMemoryContactInbox
from adapters.mongo import MongoTokenRepository
from adapters.mongo_inbox import MongoContactInbox
from adapters.rate_limit import PortalRateLimiter
from adapters.sealing import (
    NO_SEALING,
    Sealer,
    load_or_create_key_file,
    sealer_from_keys,
)
from adapters.sqlite import SqliteTokenRepository
from adapters.sqlite_inbox import SqliteContactInbox
from application.errors import ConfigurationError
from application.events import (
    EventGate,
    QueueContactChange,
    UninstallApp,
    UpdateApp,
)
from application.install import InstallApp
from application.intake import InboxIntake
from application.offline import OfflineReconciler
from application.page import ChangeSettings, DescribePortal
from application.ports import ContactInbox, TokenRepository
from application.rest import PortalRest
from application.worker import ContactWorker, WorkerOptions
from entrypoints.page_tokens import PageTokens
from entrypoints.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def sqlite_path(storage_url: str) -> Path:
    """The file of a `sqlite:///PATH` URL: relative after three slashes,
    absolute after four (`sqlite:////var/lib/b24names/db.sqlite3`)."""
    path = storage_url.removeprefix("sqlite:///")
    if not path or path == storage_url:
        raise ConfigurationError("B24_STORAGE_URL must look like sqlite:///PATH")
    return Path(path)


def build_sealer(settings: Settings) -> Sealer:
    """What seals tokens at rest: keys from `B24_SEALING_KEYS`, else the key file
    under the data folder, created with a new key on first run. Nothing is
    sealed in memory, which is never at rest."""
    if urlsplit(settings.storage_url).scheme == "memory":
        return NO_SEALING
    if settings.sealing_keys:
        return sealer_from_keys(settings.sealing_keys, "B24_SEALING_KEYS")
    return load_or_create_key_file(settings.sealing_key_file)


def build_repository(storage_url: str, sealer: Sealer = NO_SEALING) -> TokenRepository:
    """The repository a storage URL names: `sqlite:///PATH`, `mongodb://...`,
    `mongodb+srv://...` or `memory://`."""
    scheme = urlsplit(storage_url).scheme
    if scheme == "sqlite":
        return SqliteTokenRepository(sqlite_path(storage_url), sealer=sealer)
    if scheme in {"mongodb", "mongodb+srv"}:
        return MongoTokenRepository.from_url(storage_url, sealer=sealer)
    if scheme == "memory":
        return InMemoryTokenRepository()
    raise ConfigurationError(
        "B24_STORAGE_URL must start with sqlite://, mongodb:// or memory://"
    )


def build_inbox(storage_url: str) -> ContactInbox:
    """The contact inbox beside the repository that `storage_url` names."""
    scheme = urlsplit(storage_url).scheme
    if scheme == "sqlite":
        # Every acknowledged event must survive a power cut, not only a crash.
        return SqliteContactInbox(sqlite_path(storage_url), sync_each_commit=True)
    if scheme in {"mongodb", "mongodb+srv"}:
        return MongoContactInbox.from_url(storage_url)
    if scheme == "memory":
        return InMemoryContactInbox()
    raise ConfigurationError(
        "B24_STORAGE_URL must start with sqlite://, mongodb:// or memory://"
    )


def worker_options_for(lease_seconds: float) -> WorkerOptions:
    return WorkerOptions(lease_for=timedelta(seconds=lease_seconds))


def worker_name(index: int) -> str:
    """A lease owner name unique across machines, processes and tasks."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Object(utc_now)

    sealer = providers.Singleton(build_sealer, settings)
    portals = providers.Singleton(
        build_repository, settings.provided.storage_url, sealer
    )
    inbox = providers.Singleton(build_inbox, settings.provided.storage_url)
    http_client: providers.Singleton[httpx.AsyncClient] = providers.Singleton(
        default_client
    )
    address_policy = providers.Singleton(
        AddressPolicy, settings.provided.allow_insecure_loopback
    )
    rate_limiter = providers.Singleton(PortalRateLimiter)
    gateway = providers.Singleton(
        HttpxBitrix24Gateway,
        client=http_client,
        oauth_url=settings.provided.oauth_url,
        client_id=settings.provided.client_id,
        client_secret=settings.provided.client_secret,
        clock=clock,
        limiter=rate_limiter,
        policy=address_policy,
    )
    rest = providers.Singleton(PortalRest, portals, gateway, clock)

    install_app = providers.Factory(
        InstallApp, portals, inbox, gateway, rest, settings.provided.events_url, clock
    )
    update_app = providers.Factory(
        UpdateApp, portals, gateway, rest, settings.provided.events_url, clock
    )
    uninstall_app = providers.Factory(UninstallApp, portals, inbox, clock)
    describe_portal = providers.Factory(DescribePortal, portals, gateway)
    change_settings = providers.Factory(ChangeSettings, portals, clock)
    page_tokens = providers.Singleton(
        PageTokens, settings.provided.client_secret, clock
    )
    event_gate = providers.Factory(EventGate, portals, gateway, clock)
    intake = providers.Singleton(InboxIntake, inbox, clock)
    queue_contact_change = providers.Factory(QueueContactChange, event_gate, intake)
    worker_options = providers.Singleton(
        worker_options_for, settings.provided.worker_lease_seconds
    )
    offline_reconciler = providers.Factory(
        OfflineReconciler, portals, inbox, rest, clock
    )
    contact_worker = providers.Factory(
        ContactWorker,
        inbox=inbox,
        portals=portals,
        rest=rest,
        clock=clock,
        options=worker_options,
    )


@asynccontextmanager
async def running_workers(container: Container, count: int) -> AsyncIterator[None]:
    """Run `count` contact workers, and the offline-queue reconciler beside them,
    until the block ends; then let them finish what they hold."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(container.contact_worker(owner=worker_name(n)).run(stop))
        for n in range(count)
    ]
    if count:
        interval = container.settings().offline_interval_seconds
        reconciler = container.offline_reconciler()
        tasks.append(asyncio.create_task(reconciler.run(stop, interval)))
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
