"""The service stays inside a portal's REST limits under a burst."""

from random import Random

import pytest

from application.ports import JobState
from entrypoints.demo import Stack, wait_until_processed
from tests.e2e.support import (
    expected_by_id,
    installed_portal,
    names_by_id,
    rest_counters,
    typed_contacts,
)

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

BURST = 1000
#: Fifty contacts read in one batch and written in another, and the echoes of
#: the writes read in a third: 0.06 requests a contact when every batch is full.
#: Here the service shares one process and two cores with the emulator and the
#: test, so events arrive slower and more batches leave part-full: the bound
#: proves batching (one request per contact would be 3), while `make bench`, with
#: the service in its own process, measures the figure against its 0.07 target.
MOST_REQUESTS_PER_CONTACT = 0.1


async def test_thousand_contacts_at_once_never_overflow_the_portal_bucket(
    stack: Stack,
) -> None:
    emulator = stack.emulator
    contacts = typed_contacts(BURST, Random(3), tidy_share=0.0)
    member_id = await installed_portal(emulator)
    before = await rest_counters(emulator, member_id)

    ids = await emulator.add_contacts(
        member_id, [c.fields for c in contacts], concurrent=True
    )
    await wait_until_processed(stack, member_id, timeout=90)

    after = await rest_counters(emulator, member_id)
    requests = after["requests"] - before["requests"]
    assert await names_by_id(emulator, member_id) == expected_by_id(ids, contacts)
    assert after["query_limit_exceeded"] == 0
    assert "QUERY_LIMIT_EXCEEDED" not in after["by_error"]
    assert requests / BURST <= MOST_REQUESTS_PER_CONTACT, requests
    assert stack.container.inbox().jobs(member_id, JobState.FAILED) == []
