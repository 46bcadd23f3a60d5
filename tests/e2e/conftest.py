from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import EmulatorClient
from entrypoints.demo import Stack, running_stack


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """The service and the emulator on loopback sockets, wired to each other."""
    async with running_stack(tmp_path) as running:
        yield running


@pytest.fixture
def emulator(stack: Stack) -> EmulatorClient:
    return stack.emulator
