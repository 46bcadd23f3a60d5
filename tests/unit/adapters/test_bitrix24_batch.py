"""`batch` through the gateway: the request, the answer, and the limits."""

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.address_policy import AddressPolicy
from adapters.bitrix24_http import HttpxBitrix24Gateway
from adapters.rate_limit import PortalRateLimiter
from application.errors import (
    AuthRejected,
    Bitrix24Error,
    ExpiredToken,
    InvalidInput,
    PortalUnavailable,
    RateLimited,
    RemoteNotFound,
    UnexpectedResponse,
)
from application.ports import BatchCommand
from domain.portal import Portal
from tests.samples import sample
from tests.unit.adapters.bitrix24_doubles import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    NOW,
    OAUTH_URL,
    FakeDns,
    FakeTimer,
    ScriptedServer,
    moved,
)

pytestmark = pytest.mark.anyio

FIX_AND_READ: dict[str, BatchCommand] = {
    "fix": (
        "crm.contact.update",
        {
            "id": 82,
            "fields": {"NAME": "Иван", "SECOND_NAME": None, "HONORIFIC": ""},
            "params": {"REGISTER_SONET_EVENT": False},
        },
    ),
    "read": ("crm.contact.get", {"id": 82}),
}


def batch_answer(
    result: Any = (), result_error: Any = (), **parts: Any
) -> httpx.Response:
    body = {
        "result": {
            "result": list(result) if isinstance(result, tuple) else result,
            "result_error": (
                list(result_error) if isinstance(result_error, tuple) else result_error
            ),
            "result_total": [],
            "result_next": [],
            "result_time": [],
            **parts,
        },
        "time": {},
    }
    return httpx.Response(200, json=body)


# The request


async def test_batch_posts_encoded_commands_halt_and_auth_to_the_batch_method(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = batch_answer({"fix": True, "read": {"ID": "82"}})

    await gateway.batch(portal, FIX_AND_READ)

    request = server.last
    assert request.method == "POST"
    assert str(request.url) == "https://some-domain.bitrix24.com/rest/batch"
    assert json.loads(request.content) == {
        "cmd": {
            "fix": "crm.contact.update?id=82&fields[NAME]=%D0%98%D0%B2%D0%B0%D0%BD"
            "&fields[SECOND_NAME]=&fields[HONORIFIC]="
            "&params[REGISTER_SONET_EVENT]=N",
            "read": "crm.contact.get?id=82",
        },
        "halt": 0,
        "auth": ACCESS_TOKEN,
    }


async def test_batch_with_halt_asks_the_portal_to_stop_at_the_first_failure(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = batch_answer()

    await gateway.batch(portal, FIX_AND_READ, halt=True)

    assert json.loads(server.last.content)["halt"] == 1


async def test_an_empty_batch_sends_nothing(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    response = await gateway.batch(portal, {})

    assert response.results == {}
    assert response.errors == {}
    assert server.requests == []


@pytest.mark.parametrize(
    "commands",
    [
        {f"c{n}": ("app.info", {}) for n in range(51)},
        {"0": ("app.info", {})},
        {"ok": ("app.info", {}), "7": ("app.info", {})},
        {"bad": ("app.info?x=1", {})},
    ],
)
async def test_a_batch_that_bitrix24_would_misread_is_refused_unsent(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    commands: dict[str, BatchCommand],
) -> None:
    with pytest.raises(InvalidInput):
        await gateway.batch(portal, commands)

    assert server.requests == []


# The answer


async def test_batch_reads_results_and_failed_commands_of_the_sample(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answers(200, sample("rest-responses")["batch_with_failed_command"])

    response = await gateway.batch(portal, {"get_user": ("user.current", {})})

    assert response.results == {}
    assert list(response.errors) == ["get_user"]
    error = response.errors["get_user"]
    assert type(error) is AuthRejected
    assert error.code == "insufficient_scope"
    assert error.status is None


async def test_batch_reads_results_of_every_kind(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    answers = {"fix": True, "read": {"ID": "82", "NAME": "Иван"}, "none": None}
    server.answer = batch_answer(answers, [], unknown_part={"x": 1})

    response = await gateway.batch(portal, FIX_AND_READ)

    assert response.results == answers
    assert response.errors == {}
    assert response.moved_to is None


async def test_batch_reads_maps_that_arrive_as_json_lists(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = batch_answer(["first", "second"], [{"error": "ERROR_CORE"}])

    response = await gateway.batch(portal, FIX_AND_READ)

    assert response.results == {"0": "first", "1": "second"}
    assert response.errors["0"].code == "ERROR_CORE"


async def test_batch_maps_each_failed_command_to_the_error_call_would_raise(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    failures = {
        "missing": {"error": "", "error_description": "Contact is not found"},
        "scope": {"error": "insufficient_scope", "error_description": "x"},
        "expired": {"error": "expired_token", "error_description": "x"},
        "busy": {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "x"},
        "plain": "Not found",
        "code": "ACCESS_DENIED",
        "other": {"error": "ERROR_CORE", "error_description": "Required fields"},
        "odd": 17,
    }
    server.answer = batch_answer({"read": {"ID": "82"}}, failures)

    response = await gateway.batch(portal, FIX_AND_READ)

    kinds = {key: type(error) for key, error in response.errors.items()}
    assert kinds == {
        "missing": RemoteNotFound,
        "scope": AuthRejected,
        "expired": ExpiredToken,
        "busy": RateLimited,
        "plain": RemoteNotFound,
        "code": AuthRejected,
        "other": Bitrix24Error,
        "odd": UnexpectedResponse,
    }
    assert response.results == {"read": {"ID": "82"}}


async def test_commands_a_halted_batch_did_not_run_are_in_neither_map(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answer = batch_answer([], {"fix": {"error": "", "error_description": "x"}})

    response = await gateway.batch(portal, FIX_AND_READ, halt=True)

    assert "read" not in response.results
    assert "read" not in response.errors
    assert list(response.errors) == ["fix"]


@pytest.mark.parametrize(
    "result",
    [
        {"result_error": []},
        {"result": "text", "result_error": []},
        {"result": {}, "result_error": "text"},
        "not a map",
        [],
    ],
)
async def test_an_answer_that_is_no_batch_answer_is_unexpected(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    result: Any,
) -> None:
    server.answers(200, {"result": result, "time": {}})

    with pytest.raises(UnexpectedResponse):
        await gateway.batch(portal, FIX_AND_READ)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"error": "expired_token"}, ExpiredToken),
        (503, {"error": "QUERY_LIMIT_EXCEEDED"}, RateLimited),
        (500, {"error": "PORTAL_DELETED"}, PortalUnavailable),
        (400, {"error": "ERROR_BATCH_LENGTH_EXCEEDED"}, Bitrix24Error),
    ],
)
async def test_a_failed_batch_request_raises_what_a_call_would(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    status: int,
    body: dict[str, str],
    expected: type[Bitrix24Error],
) -> None:
    server.answers(status, body)

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.batch(portal, FIX_AND_READ)

    assert type(caught.value) is expected


async def test_a_moved_portal_gets_the_same_batch_at_its_new_address(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.then(
        moved("https://renamed.bitrix24.com/rest/batch"),
        batch_answer({"read": {"ID": "82"}}),
    )

    response = await gateway.batch(portal, FIX_AND_READ)

    first, second = server.requests
    assert second.content == first.content
    assert response.moved_to == "https://renamed.bitrix24.com/rest/"
    assert response.results == {"read": {"ID": "82"}}


# Limits


async def test_a_batch_of_fifty_commands_is_one_request_for_the_bucket(
    server: ScriptedServer, timer: FakeTimer, dns: FakeDns, portal: Portal
) -> None:
    server.answer = batch_answer()
    commands: dict[str, BatchCommand] = {f"c{n}": ("app.info", {}) for n in range(50)}
    limiter = PortalRateLimiter(rate=2.0, burst=2, timer=timer)
    transport = httpx.MockTransport(server)

    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        gateway = HttpxBitrix24Gateway(
            client,
            OAUTH_URL,
            "id",
            CLIENT_SECRET,
            limiter=limiter,
            policy=AddressPolicy(resolver=dns),
        )
        for _ in range(3):
            await gateway.batch(portal, commands)

    assert server.times == [0.0, 0.0, 0.5]


async def test_a_command_over_its_operating_time_pauses_that_method(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    limit = {"error": "OPERATION_TIME_LIMIT", "error_description": "blocked"}
    server.answer = batch_answer({"fix": True}, {"read": limit})

    first = await gateway.batch(portal, FIX_AND_READ)
    with pytest.raises(RateLimited) as batch_refused:
        await gateway.batch(portal, {"again": ("crm.contact.get", {"id": 1})})
    with pytest.raises(RateLimited) as call_refused:
        await gateway.call(portal, "crm.contact.get", {"id": 1})
    other = await gateway.batch(portal, {"fix": FIX_AND_READ["fix"]})

    error = first.errors["read"]
    assert isinstance(error, RateLimited)
    assert error.retry_at == NOW + timedelta(seconds=60)
    assert batch_refused.value.retry_at == error.retry_at
    assert call_refused.value.retry_at == error.retry_at
    assert other.results == {"fix": True}
    assert len(server.requests) == 2


async def test_a_batch_over_its_operating_time_pauses_batches_only(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.then(httpx.Response(429, json={"error": "OPERATION_TIME_LIMIT"}))
    with pytest.raises(RateLimited):
        await gateway.batch(portal, FIX_AND_READ)

    with pytest.raises(RateLimited):
        await gateway.batch(portal, FIX_AND_READ)
    response = await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert response.result is True
    assert len(server.requests) == 2


async def test_a_command_error_never_shows_a_secret(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    leak = {"error": f"bad {ACCESS_TOKEN}", "error_description": f"{CLIENT_SECRET}"}
    server.answer = batch_answer([], {"fix": leak})

    response = await gateway.batch(portal, FIX_AND_READ)

    error = response.errors["fix"]
    assert ACCESS_TOKEN not in str(error)
    assert CLIENT_SECRET not in str(error)
    assert ACCESS_TOKEN not in error.code
