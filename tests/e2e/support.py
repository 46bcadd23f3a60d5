"""What the end-to-end tests share beyond the demo's stack.

A service stack whose worker count and lease the test picks, `b24names` commands
in child processes on the same configuration (so they share its SQLite file),
contacts typed with known tidy forms, and readings of the emulator's counters
and call log.
"""

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

from emulator import EmulatorClient
from entrypoints.demo import Stack, running_stack
from entrypoints.settings import DEFAULT_WORKER_LEASE, Settings

#: The project's root, where `python -m entrypoints.cli` finds the packages.
ROOT = Path(__file__).resolve().parents[2]

#: Longest wait for a child process to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 15.0

_POLL = 0.02

#: First names and last names as users type them, each with its tidy form.
FIRST_NAMES = (
    ("JOHN", "John"),
    ("mary-jane", "Mary-Jane"),
    ("  peter ", "Peter"),
    ("ronald", "Ronald"),
    ("jean-luc", "Jean-Luc"),
)
TIDY_FIRST_NAMES = (("Anna", "Anna"), ("Mary", "Mary"))
LAST_NAMES = (
    ("smith", "Smith"),
    ("o'neil", "O'Neil"),
    ("MCDONALD", "McDonald"),
    ("SMITH-JONES", "Smith-Jones"),
    ("Brown", "Brown"),
)
TIDY_LAST_NAMES = (("Smith", "Smith"), ("Brown", "Brown"))

Names = tuple[str, str]


@dataclass(frozen=True)
class TypedContact:
    """A contact's first and last name as typed, and as they must end up."""

    typed: Names
    expected: Names

    @property
    def fields(self) -> dict[str, str]:
        return {"NAME": self.typed[0], "LAST_NAME": self.typed[1]}

    @property
    def tidy(self) -> bool:
        return self.typed == self.expected


def typed_contacts(count: int, rng: Random, tidy_share: float) -> list[TypedContact]:
    """`count` contacts, about `tidy_share` of them already tidy, the rest messy."""
    contacts = []
    for _ in range(count):
        tidy = rng.random() < tidy_share
        first = rng.choice(TIDY_FIRST_NAMES if tidy else FIRST_NAMES)
        last = rng.choice(TIDY_LAST_NAMES if tidy else LAST_NAMES)
        contacts.append(TypedContact((first[0], last[0]), (first[1], last[1])))
    return contacts


@asynccontextmanager
async def running_service(
    data_dir: Path, workers: int = 0, lease_seconds: float = DEFAULT_WORKER_LEASE
) -> AsyncIterator[Stack]:
    """The demo's stack with `workers` inside the service (none by default: the
    tests run workers as child processes sharing `data_dir`)."""
    async with running_stack(data_dir, workers, lease_seconds) as stack:
        yield stack


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process the same configuration.

    `B24_*` variables of this process are left out, so that nothing but
    `settings` configures the child.
    """
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("B24_")}
    variables = {
        "B24_CLIENT_ID": settings.client_id,
        "B24_CLIENT_SECRET": settings.client_secret,
        "B24_PUBLIC_URL": settings.public_url,
        "B24_STORAGE_URL": settings.storage_url,
        "B24_OAUTH_URL": settings.oauth_url,
        "B24_DATA_DIR": str(settings.data_dir),
        "B24_ALLOW_INSECURE_LOOPBACK": str(settings.allow_insecure_loopback).lower(),
        "B24_WORKER_LEASE_SECONDS": str(settings.worker_lease_seconds),
        "B24_OFFLINE_INTERVAL_SECONDS": str(settings.offline_interval_seconds),
    }
    if settings.sealing_keys:
        variables["B24_SEALING_KEYS"] = settings.sealing_keys
    return {**inherited, **variables}


@asynccontextmanager
async def worker_process(
    settings: Settings, log: Path, workers: int = 1
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`b24names worker` in a child process; stopped (or reaped) when the block
    ends, whether the test killed it or not."""
    with log.open("a") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "entrypoints.cli",
            "worker",
            "--workers",
            str(workers),
            cwd=ROOT,
            env=service_environment(settings),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            await stop_process(process)


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL if the process has not exited in `STOP_TIMEOUT`."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: the process gets no chance to finish anything."""
    process.send_signal(signal.SIGKILL)
    await process.wait()


@dataclass(frozen=True)
class CommandRun:
    returncode: int
    stdout: str
    stderr: str


async def run_command(
    settings: Settings,
    arguments: Sequence[str],
    timeout: float = 30.0,  # noqa: ASYNC109
) -> CommandRun:
    """Run `b24names ARGUMENTS` in a child process on the stack's configuration."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "entrypoints.cli",
        *arguments,
        cwd=ROOT,
        env=service_environment(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return CommandRun(process.returncode, stdout.decode(), stderr.decode())


async def eventually(
    check: Callable[[], Awaitable[bool]],
    timeout: float,  # noqa: ASYNC109
    what: str,
) -> None:
    """Poll `check` until it holds; raises TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"still not {what} after {timeout} s")
        await asyncio.sleep(_POLL)


async def installed_portal(emulator: EmulatorClient, language: str = "en") -> str:
    portal = await emulator.create_portal(language=language)
    result = await emulator.install(portal.member_id, flow="event")
    assert result.installed, result
    return portal.member_id


async def rest_counters(emulator: EmulatorClient, member_id: str) -> dict[str, Any]:
    """The portal's REST counters: `requests`, `by_error`, `query_limit_exceeded`."""
    counters: dict[str, Any] = (await emulator.stats(member_id))["rest"]
    return counters


async def rest_requests(emulator: EmulatorClient, member_id: str) -> int:
    return int((await rest_counters(emulator, member_id))["requests"])


async def updates_per_contact(emulator: EmulatorClient, member_id: str) -> Counter[str]:
    """How many `crm.contact.update` commands each contact got, batched or not."""
    return Counter(
        str(call["params"]["id"])
        for call in await emulator.calls(member_id)
        if call["method"] == "crm.contact.update"
    )


async def names_by_id(emulator: EmulatorClient, member_id: str) -> dict[str, Names]:
    """Every contact's first and last name as the portal holds them now."""
    return {
        str(contact["ID"]): (
            str(contact.get("NAME") or ""),
            str(contact.get("LAST_NAME") or ""),
        )
        for contact in await emulator.list_contacts(member_id)
    }


def expected_by_id(
    ids: Sequence[str], contacts: Sequence[TypedContact]
) -> dict[str, Names]:
    return {
        contact_id: contact.expected
        for contact_id, contact in zip(ids, contacts, strict=True)
    }


def messy_ids(ids: Sequence[str], contacts: Sequence[TypedContact]) -> list[str]:
    return [
        contact_id
        for contact_id, contact in zip(ids, contacts, strict=True)
        if not contact.tidy
    ]
