"""The httpx gateway against scripted answers through `httpx.MockTransport`.

The envelopes below are the documented samples of the Bitrix24 REST and OAuth
answers (status and body as the documentation shows them).
"""

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from adapters.address_policy import AddressPolicy
from adapters.bitrix24_http import HttpxBitrix24Gateway, default_client
from application.errors import (
    AddressRefused,
    AuthRejected,
    Bitrix24Error,
    ClientRejected,
    ConfigurationError,
    ExpiredToken,
    InvalidInput,
    PortalUnavailable,
    RateLimited,
    RefreshTokenRejected,
    RemoteNotFound,
    TransportFailure,
    UnexpectedResponse,
    is_transient,
)
from domain.portal import Portal
from tests.unit.adapters.bitrix24_doubles import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    NOW,
    OAUTH_URL,
    REFRESH_TOKEN,
    SECRETS,
    Answer,
    Failure,
    FakeDns,
    ScriptedServer,
    make_portal,
)

pytestmark = pytest.mark.anyio


TIME_BLOCK = {
    "start": 1778747192.910734,
    "finish": 1778747193.530359,
    "duration": 0.6196250915527344,
    "processing": 0.032338857650756836,
    "date_start": "2026-05-14T10:26:32+02:00",
    "date_finish": "2026-05-14T10:26:33+02:00",
    "operating_reset_at": 1778747792,
    "operating": 3.3076241016387939,
}

REFRESH_ANSWER = {
    "access_token": "ydtj8pho532wydb5ixk78ol7uqlb7sch",
    "client_endpoint": "https://portal.bitrix24.com/rest/",
    "domain": "oauth.bitrix.info",
    "expires": 1780319382,
    "expires_in": 3600,
    "member_id": "a223c6b3710f85df22e9377d6c4f7553",
    "refresh_token": "3s6lr4kr3cv2od4v853gvrchb875bwxb",
    "scope": "crm,entity,im,task",
    "server_endpoint": "https://oauth.bitrix.info/rest/",
    "status": "F",
    "user_id": 67,
}


def assert_no_secret(text: str, secrets: tuple[str, ...] = SECRETS) -> None:
    for secret in secrets:
        assert secret not in text
        assert quote(secret, safe="") not in text


def assert_error_hides_secrets(
    error: Bitrix24Error, secrets: tuple[str, ...] = SECRETS
) -> None:
    assert_no_secret(str(error), secrets)
    assert_no_secret(repr(error), secrets)
    assert_no_secret(error.code, secrets)
    assert_no_secret(error.description, secrets)


# REST calls: the request


async def test_call_posts_json_params_with_auth_to_the_portal_endpoint(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answers(200, {"result": {"ID": "82"}, "time": TIME_BLOCK})

    await gateway.call(portal, "crm.contact.get", {"id": 82})

    request = server.last
    assert request.method == "POST"
    assert str(request.url) == "https://some-domain.bitrix24.com/rest/crm.contact.get"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"id": 82, "auth": ACCESS_TOKEN}


async def test_call_auth_replaces_an_auth_key_among_the_params(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    await gateway.call(portal, "app.info", {"auth": "someone-else"})

    assert json.loads(server.last.content) == {"auth": ACCESS_TOKEN}


# REST calls: success envelopes


async def test_call_returns_the_result_of_the_documented_envelope(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answers(200, {"result": True, "time": TIME_BLOCK})

    response = await gateway.call(portal, "crm.contact.update", {"id": 82})

    assert response.result is True
    assert response.total is None
    assert response.next is None


async def test_call_returns_total_and_next_of_a_list_page(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    page = [{"ID": str(n)} for n in range(50)]
    server.answers(200, {"result": page, "total": 120, "next": 50, "time": {}})

    response = await gateway.call(portal, "crm.contact.list", {})

    assert response.result == page
    assert response.total == 120
    assert response.next == 50


async def test_call_ignores_unknown_fields_in_the_envelope(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answers(200, {"result": [], "time": {}, "debug": {"x": 1}, "total": "0"})

    response = await gateway.call(portal, "crm.contact.list", {})

    assert response.result == []
    assert response.total == 0


async def test_call_accepts_a_null_result(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answers(200, {"result": None, "time": {}})

    response = await gateway.call(portal, "event.unbind", {})

    assert response.result is None


# REST calls: documented error envelopes


DOCUMENTED_REST_ERRORS = [
    (401, "expired_token", "The access token provided has expired.", ExpiredToken),
    (401, "NO_AUTH_FOUND", "Wrong authorization data", AuthRejected),
    (401, "invalid_token", "The access token provided is invalid.", AuthRejected),
    (503, "QUERY_LIMIT_EXCEEDED", "Too many requests", RateLimited),
    (
        429,
        "OPERATION_TIME_LIMIT",
        "Method is blocked due to operation time limit.",
        RateLimited,
    ),
    (503, "OVERLOAD_LIMIT", "REST API is blocked due to overload.", RateLimited),
    (500, "INTERNAL_SERVER_ERROR", "Internal server error", PortalUnavailable),
    (500, "PORTAL_DELETED", "Portal was deleted", PortalUnavailable),
    (
        403,
        "insufficient_scope",
        "The request requires higher privileges than provided by the access token",
        AuthRejected,
    ),
    (403, "ACCESS_DENIED", "Access denied", AuthRejected),
    (402, "PAYMENT_REQUIRED", "The application is not paid for", AuthRejected),
    (400, "", "Contact is not found", RemoteNotFound),
    (400, "", "Not found", RemoteNotFound),
    (400, "", "NOT FOUND", RemoteNotFound),
    (400, "INVALID_REQUEST", "Https required.", Bitrix24Error),
    (400, "", "Required fields are empty", Bitrix24Error),
    (400, "ERROR_CORE", "Not found", Bitrix24Error),
    (404, "ERROR_METHOD_NOT_FOUND", "Method not found!", Bitrix24Error),
]


@pytest.mark.parametrize(
    ("status", "code", "description", "expected"), DOCUMENTED_REST_ERRORS
)
async def test_call_maps_each_error_envelope_to_its_error(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    status: int,
    code: str,
    description: str,
    expected: type[Bitrix24Error],
) -> None:
    server.answers(status, {"error": code, "error_description": description})

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert type(caught.value) is expected
    assert caught.value.code == code
    assert caught.value.description == description
    assert caught.value.status == status


async def test_call_reads_an_error_envelope_without_description(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answers(401, {"error": "expired_token"})

    with pytest.raises(ExpiredToken) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert caught.value.description == ""


# REST calls: answers that are not the envelope


NOT_ENVELOPES = [
    (200, b"<html><body>Bad gateway</body></html>", "text/html"),
    (200, b'{"result": {"ID": "82", "NAME": "Iv', "application/json"),
    (200, b'{"time": {}}', "application/json"),
    (200, b'[{"result": true}]', "application/json"),
    (200, b"", "application/json"),
    (400, b"<html>Bad request</html>", "text/html"),
]


@pytest.mark.parametrize(("status", "content", "content_type"), NOT_ENVELOPES)
async def test_call_reports_an_answer_that_is_not_the_envelope(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    status: int,
    content: bytes,
    content_type: str,
) -> None:
    server.answers_raw(status, content, content_type)

    with pytest.raises(UnexpectedResponse) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert caught.value.status == status


async def test_call_reads_a_proxy_error_page_as_an_unavailable_portal(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    server.answers_raw(502, b"<html>502 Bad Gateway</html>", "text/html")

    with pytest.raises(PortalUnavailable) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert caught.value.status == 502


# REST calls: no answer


TRANSPORT_FAILURES: list[Failure] = [
    lambda request: httpx.ConnectError("connection refused", request=request),
    lambda request: httpx.ReadTimeout("timed out", request=request),
    lambda request: httpx.ConnectTimeout("timed out", request=request),
    lambda request: httpx.RemoteProtocolError("peer closed", request=request),
    lambda request: httpx.ReadError(f"reset while reading {request.url}"),
]


@pytest.mark.parametrize("failure", TRANSPORT_FAILURES)
async def test_call_reports_a_transport_failure_with_its_cause(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    failure: Failure,
) -> None:
    server.answer = failure

    with pytest.raises(TransportFailure) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert caught.value.status is None


async def test_call_refuses_a_malformed_portal_address_without_sending(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    portal.client_endpoint = "https://some-domain.bitrix24.com:rest/"

    with pytest.raises(AddressRefused) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert isinstance(caught.value.__cause__, httpx.InvalidURL)
    assert server.requests == []


@pytest.mark.parametrize(
    "method", ["", "../admin", "crm.contact.get?id=1", "crm..get", "crm/contact"]
)
async def test_call_refuses_a_method_name_that_could_leave_the_endpoint(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, portal: Portal, method: str
) -> None:
    with pytest.raises(InvalidInput):
        await gateway.call(portal, method, {})

    assert server.requests == []


async def test_call_reports_an_unresolvable_portal_host_as_a_transport_failure(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway, dns: FakeDns, portal: Portal
) -> None:
    del dns.table[portal.domain]

    with pytest.raises(TransportFailure):
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert server.requests == []


# Token refresh: the request and the grant


async def test_refresh_gets_the_token_endpoint_with_the_documented_query(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway
) -> None:
    server.answers(200, REFRESH_ANSWER)

    await gateway.refresh(REFRESH_TOKEN)

    request = server.last
    assert request.method == "GET"
    assert (
        request.url.copy_with(query=None) == "https://oauth.example.test/oauth/token/"
    )
    assert dict(request.url.params) == {
        "grant_type": "refresh_token",
        "client_id": "app.1234",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }


async def test_refresh_uses_the_configured_address_with_or_without_a_slash(
    server: ScriptedServer,
) -> None:
    server.answers(200, REFRESH_ANSWER)
    transport = httpx.MockTransport(server)

    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        gateway = HttpxBitrix24Gateway(client, OAUTH_URL + "/", "id", CLIENT_SECRET)
        await gateway.refresh(REFRESH_TOKEN)

    assert server.last.url.path == "/oauth/token/"


async def test_refresh_reads_the_documented_answer_into_a_grant(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway
) -> None:
    server.answers(200, REFRESH_ANSWER)

    grant = await gateway.refresh(REFRESH_TOKEN)

    assert grant.access_token == "ydtj8pho532wydb5ixk78ol7uqlb7sch"
    assert grant.refresh_token == "3s6lr4kr3cv2od4v853gvrchb875bwxb"
    assert grant.expires_at == datetime.fromtimestamp(1780319382, tz=UTC)
    assert grant.scope == "crm,entity,im,task"
    assert grant.member_id == "a223c6b3710f85df22e9377d6c4f7553"
    assert grant.client_endpoint == "https://portal.bitrix24.com/rest/"


async def test_refresh_counts_expires_in_from_now_when_expires_is_missing(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway
) -> None:
    answer = {key: value for key, value in REFRESH_ANSWER.items() if key != "expires"}
    server.answers(200, answer | {"expires_in": "3600"})

    grant = await gateway.refresh(REFRESH_TOKEN)

    assert grant.expires_at == NOW + timedelta(seconds=3600)


async def test_refresh_tolerates_odd_values_and_unknown_fields(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway
) -> None:
    odd = REFRESH_ANSWER | {"scope": "app", "status": "L", "user_id": None, "x": [1]}
    server.answers(200, odd)

    grant = await gateway.refresh(REFRESH_TOKEN)

    assert grant.scope == "app"
    assert grant.member_id == "a223c6b3710f85df22e9377d6c4f7553"


async def test_refresh_leaves_portal_identity_empty_when_the_answer_lacks_it(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway
) -> None:
    bare = {"access_token": "a", "refresh_token": "r", "expires_in": 3600}
    server.answers(200, bare)

    grant = await gateway.refresh(REFRESH_TOKEN)

    assert grant.member_id is None
    assert grant.client_endpoint is None
    assert grant.scope == ""


# Token refresh: errors


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {"error": "invalid_grant", "error_description": "x"},
            RefreshTokenRejected,
        ),
        (200, {"error": "invalid_grant"}, RefreshTokenRejected),
        (401, {"error": "invalid_client", "error_description": "x"}, ClientRejected),
        (404, {"error": "NOT_FOUND", "error_description": "x"}, PortalUnavailable),
        (503, {"error": "SERVICE_UNAVAILABLE"}, PortalUnavailable),
        (500, {"error": "INTERNAL_SERVER_ERROR"}, PortalUnavailable),
        (402, {"error": "PAYMENT_REQUIRED", "error_description": "x"}, AuthRejected),
        (200, {"access_token": "a", "expires_in": 3600}, UnexpectedResponse),
        (200, {"access_token": "a", "refresh_token": ""}, UnexpectedResponse),
        (200, {"access_token": "a", "refresh_token": "r"}, UnexpectedResponse),
        (400, {"message": "bad"}, UnexpectedResponse),
    ],
)
async def test_refresh_maps_each_error_answer_to_its_error(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    status: int,
    body: Any,
    expected: type[Bitrix24Error],
) -> None:
    server.answers(status, body)

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.refresh(REFRESH_TOKEN)

    assert type(caught.value) is expected
    assert caught.value.status in (status, None)


async def test_refresh_reads_not_found_as_a_deleted_portal_that_stays_deleted(
    server: ScriptedServer, gateway: HttpxBitrix24Gateway
) -> None:
    server.answers(404, {"error": "NOT_FOUND", "error_description": "x"})

    with pytest.raises(PortalUnavailable) as caught:
        await gateway.refresh(REFRESH_TOKEN)

    assert caught.value.code == "PORTAL_DELETED"
    assert not is_transient(caught.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, UnexpectedResponse), (404, PortalUnavailable), (502, PortalUnavailable)],
)
async def test_refresh_reads_a_body_that_is_not_json_by_its_status(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    status: int,
    expected: type[Bitrix24Error],
) -> None:
    server.answers_raw(status, b"<html>nginx</html>", "text/html")

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.refresh(REFRESH_TOKEN)

    assert type(caught.value) is expected


@pytest.mark.parametrize("failure", TRANSPORT_FAILURES)
async def test_refresh_reports_a_transport_failure_with_its_cause(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    failure: Failure,
) -> None:
    server.answer = failure

    with pytest.raises(TransportFailure) as caught:
        await gateway.refresh(REFRESH_TOKEN)

    assert isinstance(caught.value.__cause__, httpx.TransportError)


# Secrets stay out of errors, logs and reprs


def leaky_failure(request: httpx.Request) -> Exception:
    """A transport error whose text quotes the full URL, query string included."""
    return httpx.ConnectError(f"cannot reach {request.url}", request=request)


def leaky_answer(status: int) -> httpx.Response:
    """An error envelope whose description echoes every secret back."""
    echo = " ".join(SECRETS)
    return httpx.Response(
        status,
        json={"error": f"bad {ACCESS_TOKEN}", "error_description": f"got {echo}"},
        headers={"content-type": f"application/json; x={CLIENT_SECRET}"},
    )


ALL_CALL_ANSWERS: list[Answer] = [
    leaky_failure,
    lambda request: httpx.ReadTimeout(f"timed out on {request.url}", request=request),
    leaky_answer(401),
    leaky_answer(400),
    leaky_answer(403),
    leaky_answer(503),
    leaky_answer(500),
    httpx.Response(200, content=b"<html/>", headers={"content-type": CLIENT_SECRET}),
    httpx.Response(302, headers={"location": f"https://x.test/?t={ACCESS_TOKEN}"}),
    httpx.Response(
        302,
        headers={"location": f"https://x.test/rest/crm.contact.get?t={ACCESS_TOKEN}"},
    ),
]


@pytest.mark.parametrize("answer", ALL_CALL_ANSWERS)
async def test_call_errors_and_logs_never_show_a_secret(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    answer: Answer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.answer = answer
    caplog.set_level(logging.DEBUG)

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert_error_hides_secrets(caught.value)
    assert_no_secret(caplog.text)
    assert caplog.records


@pytest.mark.parametrize("answer", ALL_CALL_ANSWERS)
async def test_refresh_errors_and_logs_never_show_a_secret(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    answer: Answer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.answer = answer
    caplog.set_level(logging.DEBUG)

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.refresh(REFRESH_TOKEN)

    # The gateway cannot know the portal's access token during a refresh.
    assert_error_hides_secrets(caught.value, (REFRESH_TOKEN, CLIENT_SECRET))
    assert_no_secret(caplog.text, (REFRESH_TOKEN, CLIENT_SECRET))


async def test_call_logs_method_member_id_and_status(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.answers(503, {"error": "QUERY_LIMIT_EXCEEDED"})
    caplog.set_level(logging.DEBUG)

    with pytest.raises(RateLimited):
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert "crm.contact.get" in caplog.text
    assert portal.member_id in caplog.text
    assert "503" in caplog.text


async def test_refresh_logs_the_member_id_of_the_grant_but_no_token(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.answers(200, REFRESH_ANSWER)
    caplog.set_level(logging.DEBUG)

    await gateway.refresh(REFRESH_TOKEN)

    assert "a223c6b3710f85df22e9377d6c4f7553" in caplog.text
    assert str(REFRESH_ANSWER["access_token"]) not in caplog.text
    assert str(REFRESH_ANSWER["refresh_token"]) not in caplog.text
    assert_no_secret(caplog.text)


async def test_gateway_repr_hides_the_client_secret(
    gateway: HttpxBitrix24Gateway,
) -> None:
    text = repr(gateway)

    assert CLIENT_SECRET not in text
    assert "app.1234" in text


# The client


async def test_gateway_refuses_a_client_without_timeouts() -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=None)) as client:
        with pytest.raises(ConfigurationError, match="read"):
            HttpxBitrix24Gateway(client, OAUTH_URL, "id", CLIENT_SECRET)


@pytest.mark.parametrize("oauth_url", ["", "oauth.example.test", "ftp://x.test"])
async def test_gateway_refuses_an_oauth_address_that_is_not_a_web_url(
    oauth_url: str,
) -> None:
    async with default_client() as client:
        with pytest.raises(ConfigurationError):
            HttpxBitrix24Gateway(client, oauth_url, "id", CLIENT_SECRET)


async def test_default_client_times_out_every_phase_and_keeps_redirects() -> None:
    async with default_client() as client:
        timeout = client.timeout
        follows = client.follow_redirects

    assert None not in (timeout.connect, timeout.read, timeout.write, timeout.pool)
    assert follows is False


# Transient or permanent


TRANSIENT_ANSWERS: list[Answer] = [
    httpx.Response(200, content=b"<html>maintenance</html>"),
    httpx.Response(200, content=b'{"result": {"ID": "8'),
    httpx.Response(403, content=b"<html>Forbidden by the firewall</html>"),
    httpx.Response(502, content=b"<html>502 Bad Gateway</html>"),
    httpx.Response(504, content=b""),
    httpx.Response(500, json={"error": "INTERNAL_SERVER_ERROR"}),
    httpx.Response(503, json={"error": "QUERY_LIMIT_EXCEEDED"}),
    httpx.Response(503, json={"error": "OVERLOAD_LIMIT"}),
    httpx.Response(429, json={"error": "OPERATION_TIME_LIMIT"}),
    lambda request: httpx.ConnectError("refused", request=request),
    lambda request: httpx.ReadTimeout("timed out", request=request),
    lambda request: httpx.WriteTimeout("timed out", request=request),
    lambda request: httpx.PoolTimeout("timed out", request=request),
]

PERMANENT_ANSWERS: list[Answer] = [
    httpx.Response(500, json={"error": "PORTAL_DELETED"}),
    httpx.Response(400, json={"error": "", "error_description": "Not found"}),
    httpx.Response(401, json={"error": "NO_AUTH_FOUND"}),
    httpx.Response(403, json={"error": "insufficient_scope"}),
    httpx.Response(402, json={"error": "PAYMENT_REQUIRED"}),
    httpx.Response(400, json={"error": "INVALID_REQUEST"}),
]


@pytest.mark.parametrize("answer", TRANSIENT_ANSWERS)
async def test_answers_that_may_pass_by_themselves_are_transient(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    answer: Answer,
) -> None:
    server.answer = answer

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert is_transient(caught.value)


@pytest.mark.parametrize("answer", PERMANENT_ANSWERS)
async def test_answers_that_a_retry_cannot_fix_are_not_transient(
    server: ScriptedServer,
    gateway: HttpxBitrix24Gateway,
    portal: Portal,
    answer: Answer,
) -> None:
    server.answer = answer

    with pytest.raises(Bitrix24Error) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert not is_transient(caught.value)


async def test_a_refused_address_is_not_transient(
    gateway: HttpxBitrix24Gateway, portal: Portal
) -> None:
    portal.client_endpoint = "http://some-domain.bitrix24.com/rest/"

    with pytest.raises(AddressRefused) as caught:
        await gateway.call(portal, "crm.contact.get", {"id": 82})

    assert not is_transient(caught.value)


async def test_default_gateway_refuses_plain_http_to_loopback() -> None:
    portal = make_portal(
        domain="127.0.0.1:8080", endpoint="http://127.0.0.1:8080/rest/"
    )
    server = ScriptedServer()
    transport = httpx.MockTransport(server)

    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        gateway = HttpxBitrix24Gateway(client, OAUTH_URL, "id", CLIENT_SECRET)
        with pytest.raises(AddressRefused):
            await gateway.call(portal, "app.info", {})

    assert server.requests == []


async def test_gateway_with_the_loopback_switch_reaches_a_local_emulator() -> None:
    portal = make_portal(
        domain="127.0.0.1:8080", endpoint="http://127.0.0.1:8080/rest/"
    )
    server = ScriptedServer()
    transport = httpx.MockTransport(server)
    policy = AddressPolicy(allow_insecure_loopback=True)

    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        gateway = HttpxBitrix24Gateway(
            client, OAUTH_URL, "id", CLIENT_SECRET, policy=policy
        )
        response = await gateway.call(portal, "app.info", {})

    assert response.result is True
    assert str(server.last.url) == "http://127.0.0.1:8080/rest/app.info"
