"""After a full demo run of the service against the emulator, no token or secret
is readable in the stored files or in anything the service logged."""

import io
import logging
from pathlib import Path

import pytest

from entrypoints.demo import running_stack, scenario

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


async def test_stored_files_and_logs_of_a_demo_run_hold_no_token_in_clear(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async with running_stack(tmp_path) as stack:
        succeeded = await scenario(stack, io.StringIO())
        secrets = {stack.container.settings().client_secret}
        for state in await stack.emulator.portals():
            secrets |= {
                state["access_token"],
                state["refresh_token"],
                state["application_token"],
            }

    stored = read_everything(tmp_path)
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert succeeded
    assert len(secrets) == 7
    for secret in secrets:
        assert secret
        assert secret.encode() not in stored
        assert secret not in logged


def read_everything(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
