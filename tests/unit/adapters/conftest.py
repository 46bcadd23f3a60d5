from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.address_policy import AddressPolicy
from adapters.bitrix24_http import HttpxBitrix24Gateway
from adapters.rate_limit import PortalRateLimiter
from domain.portal import Portal
from tests.unit.adapters.bitrix24_doubles import (
    CLIENT_SECRET,
    NOW,
    OAUTH_URL,
    PUBLIC_ADDRESSES,
    FakeDns,
    FakeTimer,
    ScriptedServer,
    make_portal,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns(PUBLIC_ADDRESSES)


@pytest.fixture
def server(timer: FakeTimer) -> ScriptedServer:
    return ScriptedServer(timer)


@pytest.fixture
def limiter(timer: FakeTimer) -> PortalRateLimiter:
    return PortalRateLimiter(timer=timer)


@pytest.fixture
def policy(dns: FakeDns) -> AddressPolicy:
    return AddressPolicy(resolver=dns)


@pytest.fixture
async def gateway(
    server: ScriptedServer, limiter: PortalRateLimiter, policy: AddressPolicy
) -> AsyncIterator[HttpxBitrix24Gateway]:
    transport = httpx.MockTransport(server)
    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        yield HttpxBitrix24Gateway(
            client,
            OAUTH_URL,
            "app.1234",
            CLIENT_SECRET,
            clock=lambda: NOW,
            limiter=limiter,
            policy=policy,
        )


@pytest.fixture
def portal() -> Portal:
    return make_portal()
