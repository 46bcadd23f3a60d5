"""`b24names demo`: the whole product on this machine, against the emulator.

Starts the Bitrix24 emulator and the service on free loopback ports (the service
on its embedded SQLite default), installs the app on an English and a Russian
portal, adds contacts with badly typed names, waits until every event has been
processed, prints a before/after table per portal, forces a token expiry to show
a refresh, and checks that installing the second portal left the first working.
"""

import asyncio
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from application.ports import JobState
from emulator import AppRegistration, EmulatorClient, EmulatorServer
from entrypoints.container import Container
from entrypoints.serving import BackgroundServer, bind_loopback, socket_url
from entrypoints.settings import DEFAULT_WORKER_LEASE, Settings
from entrypoints.web import create_app

NAME_FIELDS = ("NAME", "SECOND_NAME", "LAST_NAME")
CONTACT_EVENTS = {"ONCRMCONTACTADD", "ONCRMCONTACTUPDATE"}

Names = tuple[str, str, str]


@dataclass(frozen=True)
class Case:
    """A contact as a user types it, and as it must end up."""

    typed: Names
    expected: Names


ENGLISH = (
    Case(("JOHN", "", "smith"), ("John", "", "Smith")),
    Case(("mary-jane", "", "o'neil"), ("Mary-Jane", "", "O'Neil")),
    Case(("ronald", "", "MCDONALD"), ("Ronald", "", "McDonald")),
    Case(("  peter ", "j", "PARKER"), ("Peter", "J", "Parker")),
    Case(("Anna", "", "Smith"), ("Anna", "", "Smith")),
)
RUSSIAN = (
    Case(("иван", "ИВАНОВИЧ", "иванов"), ("Иван", "Иванович", "Иванов")),
    Case(
        ("мария", "сергеевна", "римская-корсакова"),
        ("Мария", "Сергеевна", "Римская-Корсакова"),
    ),
    Case(("JOHN", "", "SMITH"), ("John", "", "Smith")),
    Case(("Ольга", "Николаевна", "Смирнова"), ("Ольга", "Николаевна", "Смирнова")),
)
AFTER_REFRESH = Case(("JAMES", "", "o'brien"), ("James", "", "O'Brien"))


@dataclass
class Row:
    """A contact the demo added, and its names as read back from the portal."""

    case: Case
    contact_id: str
    actual: Names | None = None

    @property
    def ok(self) -> bool:
        return self.actual == self.case.expected


@dataclass(frozen=True)
class Stack:
    """A running emulator (driven through `emulator`) and service."""

    emulator: EmulatorClient
    service_url: str
    container: Container


async def wait_until_processed(
    stack: Stack,
    member_id: str,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> None:
    """Wait until every event the portal sent has been handled to the end.

    Settled means: no delivery in flight, then no pending job, then still no
    delivery in flight and none finished meanwhile. A job stays pending until its
    writes are done, and those writes fire their echo events before that, so
    work in progress shows up in one of the three looks.
    """
    deadline = time.monotonic() + timeout
    while not await _settled(stack, member_id):
        if time.monotonic() > deadline:
            raise TimeoutError(f"portal {member_id} still busy after {timeout} s")
        await asyncio.sleep(0.05)


async def _settled(stack: Stack, member_id: str) -> bool:
    before = await stack.emulator.deliveries(member_id)
    if before.in_flight:
        return False
    if stack.container.inbox().jobs(member_id, JobState.PENDING):
        return False
    after = await stack.emulator.deliveries(member_id)
    return after.in_flight == 0 and len(after.records) == len(before.records)


@asynccontextmanager
async def running_stack(
    data_dir: Path,
    workers: int = 2,
    lease_seconds: float = DEFAULT_WORKER_LEASE,
) -> AsyncIterator[Stack]:
    """The emulator and the service, wired to each other, on loopback.

    The service keeps its SQLite file, sealing key and backfill checkpoints in
    `data_dir` and runs `workers` contact workers inside.
    """
    service_socket = bind_loopback()
    service_url = socket_url(service_socket)
    client_secret = secrets.token_urlsafe(24)
    registration = AppRegistration(
        client_id="local.b24names.demo",
        client_secret=client_secret,
        install_url=f"{service_url}/install",
    )
    emulator = EmulatorServer(registration)
    emulator_url = await emulator.start()
    settings = Settings(
        client_id=registration.client_id,
        client_secret=client_secret,
        public_url=service_url,
        storage_url=f"sqlite:///{data_dir / 'b24names.sqlite3'}",
        oauth_url=emulator_url,
        allow_insecure_loopback=True,
        data_dir=data_dir,
        worker_lease_seconds=lease_seconds,
    )
    container = Container(settings=settings)
    service = BackgroundServer(create_app(container, workers=workers), service_socket)
    try:
        await service.start()
        async with EmulatorClient(emulator_url) as client:
            yield Stack(client, service_url, container)
    finally:
        await service.stop()
        await emulator.stop()


async def add_cases(
    emulator: EmulatorClient, member_id: str, cases: Sequence[Case]
) -> list[Row]:
    """A user adds each case's contact as typed."""
    rows = []
    for case in cases:
        fields = dict(zip(NAME_FIELDS, case.typed, strict=True))
        rows.append(Row(case, await emulator.add_contact(member_id, **fields)))
    return rows


async def read_back(emulator: EmulatorClient, member_id: str, rows: list[Row]) -> None:
    for row in rows:
        contact = await emulator.get_contact(member_id, row.contact_id)
        values = (str(contact.get(field) or "") for field in NAME_FIELDS)
        row.actual = tuple(values)  # type: ignore[assignment]


async def demo(out: TextIO) -> bool:
    """Run the scenario, print what happened, and say whether all went right."""
    with tempfile.TemporaryDirectory(prefix="b24names-demo-") as data_dir:
        async with running_stack(Path(data_dir)) as stack:
            return await scenario(stack, out)


async def scenario(stack: Stack, out: TextIO) -> bool:
    emulator = stack.emulator
    english = await install_portal(emulator, "en", "ui", out)
    en_rows = await add_cases(emulator, english, ENGLISH)
    await wait_until_processed(stack, english)

    russian = await install_portal(emulator, "ru", "event", out)
    ru_rows = await add_cases(emulator, russian, RUSSIAN)
    await wait_until_processed(stack, russian)

    late_row, refreshes = await add_after_expiry(stack, english, out)

    await read_back(emulator, english, [*en_rows, late_row])
    await read_back(emulator, russian, ru_rows)
    print_table(out, "English portal", en_rows)
    print_table(out, "Russian portal", ru_rows)
    print_table(out, "English portal after its tokens expired", [late_row])

    say(out, f"\nToken refreshes after the expiry: {refreshes} (expected 1)")
    rows = [*en_rows, *ru_rows, late_row]
    ok = refreshes == 1 and all(row.ok for row in rows)
    say(out, "demo: OK" if ok else "demo: FAILED")
    return ok


async def install_portal(
    emulator: EmulatorClient, language: str, flow: str, out: TextIO
) -> str:
    """Create a portal and install the app on it; returns its member_id."""
    portal = await emulator.create_portal(language=language)
    result = await emulator.install(portal.member_id, flow=flow)
    if not result.installed:
        raise RuntimeError(f"install on {portal.domain} failed: {result}")

    say(out, f"Installed on the {language} portal {portal.domain} ({flow} flow)")
    return portal.member_id


async def add_after_expiry(
    stack: Stack, member_id: str, out: TextIO
) -> tuple[Row, int]:
    """Expire the portal's tokens, add a contact as a user; count refreshes.

    Runs after the second portal's install, so it also shows that the first
    portal kept working.
    """
    emulator = stack.emulator
    before = (await emulator.portal(member_id))["refreshes"]
    await emulator.expire_tokens(member_id)
    say(out, "Expired the first portal's access tokens; a user adds a contact")

    [row] = await add_cases(emulator, member_id, [AFTER_REFRESH])
    await wait_until_processed(stack, member_id)

    after = (await emulator.portal(member_id))["refreshes"]
    return row, after - before


def print_table(out: TextIO, title: str, rows: Sequence[Row]) -> None:
    say(out, f"\n{title}")
    header = ("typed", "saved", "")
    lines = [
        (show(row.case.typed), show(row.actual), "ok" if row.ok else "WRONG")
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *lines)) for i in range(3)]
    for line in (header, *lines):
        say(
            out,
            "  "
            + "  ".join(
                cell.ljust(width) for cell, width in zip(line, widths, strict=True)
            ),
        )


def show(names: Names | None) -> str:
    if names is None:
        return "(missing)"
    return " / ".join(repr(name) for name in names)


def say(out: TextIO, line: str) -> None:
    print(line, file=out, flush=True)


def run_demo(out: TextIO = sys.stdout) -> int:
    """Exit code 0 only if every name came out as expected."""
    return 0 if asyncio.run(demo(out)) else 1
