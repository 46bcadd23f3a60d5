import asyncio
from collections.abc import Sequence
from datetime import datetime

import pytest

from adapters.memory_inbox import InMemoryContactInbox
from application.errors import StorageUnavailable
from application.intake import InboxIntake
from tests.fakes import fixed_clock

pytestmark = pytest.mark.anyio


class RecordingInbox(InMemoryContactInbox):
    """The in-memory inbox, counting group writes and failing on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[int] = []
        self.failing = False

    def add_all(self, changes: Sequence[tuple[str, str]], now: datetime) -> None:
        if self.failing:
            raise StorageUnavailable("disk full")
        self.groups.append(len(changes))
        super().add_all(changes, now)


async def test_changes_arriving_together_are_stored_in_few_writes() -> None:
    inbox = RecordingInbox()
    intake = InboxIntake(inbox, fixed_clock)

    await asyncio.gather(*(intake.add("a" * 32, str(n)) for n in range(100)))

    assert len(inbox.jobs()) == 100
    assert sum(inbox.groups) == 100
    assert len(inbox.groups) < 10


async def test_every_waiting_change_hears_that_the_store_failed() -> None:
    inbox = RecordingInbox()
    inbox.failing = True
    intake = InboxIntake(inbox, fixed_clock)

    results = await asyncio.gather(
        *(intake.add("a" * 32, str(n)) for n in range(5)), return_exceptions=True
    )

    assert all(isinstance(result, StorageUnavailable) for result in results)
    assert inbox.jobs() == []
