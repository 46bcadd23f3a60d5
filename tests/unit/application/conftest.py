from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.memory import InMemoryTokenRepository
from adapters.memory_inbox import InMemoryContactInbox
from application.events import (
    EventGate,
    QueueContactChange,
    UninstallApp,
    UpdateApp,
)
from application.install import InstallApp, InstallRequest
from application.intake import InboxIntake
from application.rest import PortalRest
from application.worker import ContactWorker, WorkerOptions
from tests.fakes import FakeBitrix24, MovableClock

EVENTS_URL = "https://names.example.com/events"
ALPHA = "a223c6b3710f85df22e9377d6c4f7553"
BETA = "b334d7c4821f96e033fa488e8e5f8664"


@dataclass
class World:
    """A fake Bitrix24 and an in-memory repository wired into the use cases."""

    bitrix: FakeBitrix24
    portals: InMemoryTokenRepository
    inbox: InMemoryContactInbox
    clock: MovableClock
    rest: PortalRest

    def install_app(self) -> InstallApp:
        return InstallApp(
            self.portals, self.inbox, self.bitrix, self.rest, EVENTS_URL, self.clock
        )

    def update_app(self) -> UpdateApp:
        return UpdateApp(self.portals, self.bitrix, self.rest, EVENTS_URL, self.clock)

    def uninstall_app(self) -> UninstallApp:
        return UninstallApp(self.portals, self.inbox, self.clock)

    def queue_change(self) -> QueueContactChange:
        gate = EventGate(self.portals, self.bitrix, self.clock)
        return QueueContactChange(gate, InboxIntake(self.inbox, self.clock))

    def worker(self, owner: str = "worker-1", settle: float = 0.0) -> ContactWorker:
        options = WorkerOptions(settle=timedelta(seconds=settle))
        return ContactWorker(
            self.inbox,
            self.portals,
            self.rest,
            self.clock,
            owner,
            options,
            jitter=lambda: 1.0,
        )

    def install_request(
        self, member_id: str, domain: str, language: str = "en", token: str = "apptok"
    ) -> InstallRequest:
        if member_id not in self.bitrix.portals:
            self.bitrix.add_portal(member_id, domain)
        _, refresh = self.bitrix.issue_tokens(member_id)
        return InstallRequest(
            member_id=member_id,
            domain=domain,
            client_endpoint=f"https://{domain}/rest/",
            refresh_token=refresh,
            application_token=token,
            language=language,
        )


@pytest.fixture
def world() -> World:
    bitrix = FakeBitrix24()
    portals = InMemoryTokenRepository()
    clock = MovableClock()
    # No real waiting for another process's refresh: there is none here.
    rest = PortalRest(portals, bitrix, clock, race_waits=(0.0,))
    return World(bitrix, portals, InMemoryContactInbox(), clock, rest)
