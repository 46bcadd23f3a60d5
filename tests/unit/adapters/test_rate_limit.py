"""Per-portal pacing, alone and inside the gateway, on fake time.

The bucket level is recomputed from the fake times at which the scripted portal
received each request, draining at the portal's rate as Bitrix24 does.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from itertools import pairwise

import httpx
import pytest

from adapters.address_policy import AddressPolicy
from adapters.bitrix24_http import HttpxBitrix24Gateway
from adapters.rate_limit import PortalRateLimiter
from application.errors import ConfigurationError, RateLimited
from domain.portal import Portal
from tests.unit.adapters.bitrix24_doubles import (
    CLIENT_SECRET,
    NOW,
    OAUTH_URL,
    FakeDns,
    FakeTimer,
    ScriptedServer,
    make_portal,
)

pytestmark = pytest.mark.anyio

OTHER = make_portal(member_id="b" * 32, domain="other-domain.bitrix24.com")


def peak_level(times: Sequence[float], rate: float) -> float:
    """The fullest a bucket draining at `rate` got with requests at `times`."""
    level, last, peak = 0.0, 0.0, 0.0
    for moment in times:
        level = max(0.0, level - rate * (moment - last)) + 1
        last = moment
        peak = max(peak, level)
    return peak


def operating_limit(reset_in: float | None) -> httpx.Response:
    body: dict[str, object] = {
        "error": "OPERATION_TIME_LIMIT",
        "error_description": "Method is blocked due to operation time limit.",
    }
    if reset_in is not None:
        reset_at = (NOW + timedelta(seconds=reset_in)).timestamp()
        body["time"] = {"operating": 481.2, "operating_reset_at": reset_at}
    return httpx.Response(429, json=body)


QUERY_LIMIT = httpx.Response(
    503, json={"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"}
)


@asynccontextmanager
async def gateway_on(
    server: ScriptedServer, limiter: PortalRateLimiter, dns: FakeDns
) -> AsyncIterator[HttpxBitrix24Gateway]:
    transport = httpx.MockTransport(server)
    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        yield HttpxBitrix24Gateway(
            client,
            OAUTH_URL,
            "app.1234",
            CLIENT_SECRET,
            limiter=limiter,
            policy=AddressPolicy(resolver=dns),
        )


async def settle(condition: Callable[[], bool]) -> None:
    """Let other tasks run until `condition` holds (a bounded number of turns)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the tasks never reached the expected state")


# The bucket


async def test_a_thousand_calls_of_one_portal_never_overfill_its_bucket(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    for _ in range(1000):
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert len(server.times) == 1000
    assert peak_level(server.times, rate=2.0) <= 10 + 1e-6
    assert server.times[-1] == pytest.approx((1000 - 10) / 2.0)


async def test_a_thousand_concurrent_calls_of_one_portal_never_overfill_its_bucket(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    calls = [gateway.call(portal, "crm.contact.get", {"id": n}) for n in range(1000)]

    await asyncio.gather(*calls)

    assert len(server.times) == 1000
    assert peak_level(server.times, rate=2.0) <= 10 + 1e-6
    assert server.times[-1] == pytest.approx((1000 - 10) / 2.0)


async def test_callers_of_one_portal_go_in_arrival_order(timer: FakeTimer) -> None:
    limiter = PortalRateLimiter(timer=timer)
    order: list[int] = []

    async def caller(number: int) -> None:
        await limiter.acquire("member")
        order.append(number)

    await asyncio.gather(*(caller(number) for number in range(40)))

    assert order == list(range(40))


async def test_a_burst_leaves_at_once_and_then_the_drain_rate_paces(
    timer: FakeTimer,
) -> None:
    limiter = PortalRateLimiter(rate=2.0, burst=10, timer=timer)
    moments = []

    for _ in range(14):
        await limiter.acquire("member")
        moments.append(timer.elapsed)

    assert moments == [0.0] * 10 + [0.5, 1.0, 1.5, 2.0]


async def test_a_portal_with_its_own_rate_is_paced_by_it(timer: FakeTimer) -> None:
    limiter = PortalRateLimiter(rate=2.0, burst=10, rates={"fast": 5.0}, timer=timer)

    for _ in range(30):
        await limiter.acquire("fast")
    fast_done = timer.elapsed
    for _ in range(30):
        await limiter.acquire("usual")

    assert fast_done == pytest.approx(20 / 5.0)
    assert timer.elapsed - fast_done == pytest.approx(20 / 2.0)


async def test_a_busy_portal_does_not_delay_another(
    dns: FakeDns, portal: Portal
) -> None:
    timer = FakeTimer(auto=False)
    server = ScriptedServer(timer)
    limiter = PortalRateLimiter(timer=timer)

    async with gateway_on(server, limiter, dns) as gateway:
        flood = [
            asyncio.create_task(gateway.call(portal, "app.info", {})) for _ in range(30)
        ]
        await settle(lambda: timer.sleeping == 1)
        await gateway.call(OTHER, "app.info", {})
        hosts_meanwhile = server.hosts()
        while not all(task.done() for task in flood):
            timer.advance(0.5)
            await settle(lambda: timer.sleeping == 1 or all(t.done() for t in flood))

    assert hosts_meanwhile.count(OTHER.domain) == 1
    assert hosts_meanwhile.count(portal.domain) == 10
    assert server.times[hosts_meanwhile.index(OTHER.domain)] == 0.0
    assert peak_level(server.times[:10] + server.times[11:], rate=2.0) <= 10


async def test_a_cancelled_caller_gives_its_turn_to_the_next(
    timer: FakeTimer,
) -> None:
    timer.auto = False
    limiter = PortalRateLimiter(rate=2.0, burst=1, timer=timer)
    await limiter.acquire("member")
    waiting = asyncio.create_task(limiter.acquire("member"))
    queued = asyncio.create_task(limiter.acquire("member"))
    await settle(lambda: timer.sleeping == 1)

    waiting.cancel()
    await settle(lambda: waiting.done())
    timer.advance(0.5)
    await settle(lambda: queued.done())

    assert waiting.cancelled()
    assert queued.result() is None
    assert timer.elapsed == 0.5


# Answers that slow a portal down


async def test_query_limit_exceeded_halves_the_portal_rate(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    limiter: PortalRateLimiter,
    portal: Portal,
) -> None:
    server.then(QUERY_LIMIT)

    with pytest.raises(RateLimited) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})
    for _ in range(10):
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert caught.value.retry_at == NOW + timedelta(seconds=1)
    assert limiter.rate_of(OTHER.member_id) == 2.0
    gaps = [later - earlier for earlier, later in pairwise(server.times)]
    assert gaps[0] == pytest.approx(1.0)
    assert all(gap > 0.8 for gap in gaps)


async def test_a_slowed_portal_recovers_its_rate_gradually(
    timer: FakeTimer,
) -> None:
    limiter = PortalRateLimiter(rate=2.0, timer=timer, recovery=30.0)

    limiter.slow_down("member")
    halved = limiter.rate_of("member")
    timer.advance(15)
    partly = limiter.rate_of("member")
    timer.advance(15)
    recovered = limiter.rate_of("member")

    assert halved == pytest.approx(1.0)
    assert 1.0 < partly < 2.0
    assert recovered == pytest.approx(2.0)


async def test_repeated_query_limits_slow_a_portal_down_to_a_floor(
    timer: FakeTimer,
) -> None:
    limiter = PortalRateLimiter(rate=2.0, timer=timer, slowest=1 / 8)

    for _ in range(6):
        limiter.slow_down("member")

    assert limiter.rate_of("member") == pytest.approx(0.25)


async def test_a_slowed_portal_goes_back_to_its_rate_once_recovered(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    timer: FakeTimer,
    portal: Portal,
) -> None:
    server.then(QUERY_LIMIT)
    with pytest.raises(RateLimited):
        await gateway.call(portal, "app.info", {})

    timer.advance(120)
    for _ in range(15):
        await gateway.call(portal, "app.info", {})

    recovered = server.times[1:]
    assert recovered[:10] == [120.0] * 10
    assert recovered[10:] == pytest.approx([120.5, 121.0, 121.5, 122.0, 122.5])


# Answers that pause one method


async def test_operation_time_limit_pauses_that_method_until_the_reset(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    timer: FakeTimer,
    portal: Portal,
) -> None:
    server.then(operating_limit(reset_in=300))

    with pytest.raises(RateLimited) as first:
        await gateway.call(portal, "crm.contact.list", {})
    with pytest.raises(RateLimited) as again:
        await gateway.call(portal, "crm.contact.list", {})
    sent_while_paused = len(server.requests)

    assert first.value.retry_at == NOW + timedelta(seconds=300)
    assert again.value.retry_at == NOW + timedelta(seconds=300)
    assert again.value.code == "OPERATION_TIME_LIMIT"
    assert sent_while_paused == 1


async def test_a_paused_method_leaves_other_methods_and_portals_alone(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
) -> None:
    server.then(operating_limit(reset_in=300))
    with pytest.raises(RateLimited):
        await gateway.call(portal, "crm.contact.list", {})

    await gateway.call(portal, "crm.contact.get", {"id": 82})
    await gateway.call(OTHER, "crm.contact.list", {})

    assert [request.url.path for request in server.requests] == [
        "/rest/crm.contact.list",
        "/rest/crm.contact.get",
        "/rest/crm.contact.list",
    ]


async def test_a_paused_method_goes_again_after_the_reset(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    timer: FakeTimer,
    portal: Portal,
) -> None:
    server.then(operating_limit(reset_in=300))
    with pytest.raises(RateLimited):
        await gateway.call(portal, "crm.contact.list", {})

    timer.advance(300)
    response = await gateway.call(portal, "crm.contact.list", {})

    assert response.result is True
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("reset_in", "expected_pause"),
    [(None, 60), (-5, 60), (3600, 600)],
)
async def test_a_missing_past_or_far_reset_time_gives_a_bounded_pause(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    reset_in: float | None,
    expected_pause: float,
) -> None:
    server.then(operating_limit(reset_in))

    with pytest.raises(RateLimited) as caught:
        await gateway.call(portal, "crm.contact.list", {})

    assert caught.value.retry_at == NOW + timedelta(seconds=expected_pause)


async def test_method_names_pause_regardless_of_case(timer: FakeTimer) -> None:
    limiter = PortalRateLimiter(timer=timer)

    limiter.pause_method("member", "CRM.Contact.List", None)

    with pytest.raises(RateLimited):
        await limiter.acquire("member", ["crm.contact.list"])


# Memory


async def test_idle_portals_are_forgotten(timer: FakeTimer) -> None:
    limiter = PortalRateLimiter(timer=timer, sweep_every=30)
    for number in range(1000):
        await limiter.acquire(f"member{number}", ["app.info"])
    remembered = len(limiter)

    timer.advance(60)
    await limiter.acquire("latest")

    assert remembered == 1000
    assert len(limiter) == 1


async def test_a_paused_or_slowed_portal_is_remembered_until_it_is_over(
    timer: FakeTimer,
) -> None:
    limiter = PortalRateLimiter(timer=timer, sweep_every=30, recovery=60)
    limiter.pause_method("paused", "crm.contact.list", NOW + timedelta(seconds=200))
    limiter.slow_down("slowed")

    timer.advance(45)
    await limiter.acquire("latest")
    during = len(limiter)
    timer.advance(200)
    await limiter.acquire("latest")

    assert during == 3
    assert len(limiter) == 1


async def test_a_portal_with_callers_waiting_is_never_forgotten() -> None:
    timer = FakeTimer(auto=False)
    limiter = PortalRateLimiter(burst=1, timer=timer, sweep_every=30)
    await limiter.acquire("busy")
    waiting = asyncio.create_task(limiter.acquire("busy"))
    await settle(lambda: timer.sleeping == 1)

    # Time jumps past the sweep while the caller still sleeps.
    timer.elapsed += 60
    await limiter.acquire("other")
    remembered = len(limiter)
    timer.advance(0)
    await waiting

    assert remembered == 2


# Configuration


@pytest.mark.parametrize(
    "settings",
    [
        {"rate": 0.0},
        {"rate": -1.0},
        {"rates": {"member": 0.0}},
        {"burst": 0},
        {"slowest": 0.0},
        {"recovery": 0.0},
    ],
)
def test_a_limiter_refuses_settings_that_cannot_pace(
    settings: dict[str, object],
) -> None:
    with pytest.raises(ConfigurationError):
        PortalRateLimiter(**settings)  # type: ignore[arg-type]
