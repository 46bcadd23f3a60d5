from dataclasses import dataclass

import pytest

from adapters.memory import InMemoryTokenRepository
from application.contacts import FormatContact
from application.events import UninstallApp, UpdateApp
from application.install import InstallApp, InstallRequest
from application.rest import PortalRest
from tests.fakes import FakeBitrix24, fixed_clock

EVENTS_URL = "https://names.example.com/events"
ALPHA = "a223c6b3710f85df22e9377d6c4f7553"
BETA = "b334d7c4821f96e033fa488e8e5f8664"


@dataclass
class World:
    """A fake Bitrix24 and an in-memory repository wired into the use cases."""

    bitrix: FakeBitrix24
    portals: InMemoryTokenRepository
    rest: PortalRest

    def install_app(self) -> InstallApp:
        return InstallApp(self.portals, self.bitrix, self.rest, EVENTS_URL, fixed_clock)

    def update_app(self) -> UpdateApp:
        return UpdateApp(self.portals, self.bitrix, self.rest, EVENTS_URL, fixed_clock)

    def uninstall_app(self) -> UninstallApp:
        return UninstallApp(self.portals, fixed_clock)

    def format_contact(self) -> FormatContact:
        return FormatContact(self.rest)

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
    return World(bitrix, portals, PortalRest(portals, bitrix, fixed_clock))
