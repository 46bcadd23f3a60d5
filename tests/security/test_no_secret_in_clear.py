"""After a full run of the service against the emulator, no token or secret is
readable in the stored files or in anything the service logged."""

import logging
from pathlib import Path

import pytest

from entrypoints.demo import running_stack, wait_until_processed

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


async def test_stored_files_and_logs_hold_no_token_in_clear(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: set[str] = set()

    async with running_stack(tmp_path) as stack:
        emulator = stack.emulator
        secrets.add(stack.container.settings().client_secret)
        for language, flow in (("en", "ui"), ("ru", "event")):
            portal = await emulator.create_portal(language=language)
            await emulator.install(portal.member_id, flow=flow)
            await emulator.add_contact(portal.member_id, NAME="JOHN", LAST_NAME="doe")
            await emulator.expire_tokens(portal.member_id)
            await emulator.add_contact(portal.member_id, NAME="MARY")
            await wait_until_processed(stack, portal.member_id)
            state = await emulator.portal(portal.member_id)
            secrets |= {
                state["access_token"],
                state["refresh_token"],
                state["application_token"],
            }

    stored = read_everything(tmp_path)
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert len(secrets) == 7
    for secret in secrets:
        assert secret
        assert secret.encode() not in stored
        assert secret not in logged


def read_everything(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
