"""The OAuth server: refresh rotation, single use, client checks."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import MAIN_ADDRESS, World, refresh_query

pytestmark = pytest.mark.anyio

#: The keys of samples/oauth-refresh-response.json.
REFRESH_ANSWER_KEYS = {
    "access_token",
    "client_endpoint",
    "domain",
    "expires",
    "expires_in",
    "member_id",
    "refresh_token",
    "scope",
    "server_endpoint",
    "status",
    "user_id",
}


async def test_refresh_answers_a_new_pair_shaped_like_the_documented_sample(
    world: World,
) -> None:
    portal, _ = await world.installed_portal()
    state = await world.control.portal(portal.member_id)

    response = await world.http.get(
        "/oauth/token/", params=refresh_query(state["refresh_token"])
    )

    answer = response.json()
    assert response.status_code == 200
    assert set(answer) == REFRESH_ANSWER_KEYS
    assert answer["refresh_token"] != state["refresh_token"]
    assert answer["member_id"] == portal.member_id
    assert answer["client_endpoint"] == portal.client_endpoint
    assert answer["domain"] == MAIN_ADDRESS
    assert answer["expires"] == int(world.clock.now) + 3600


async def test_refresh_token_works_once(world: World) -> None:
    portal, _ = await world.installed_portal()
    state = await world.control.portal(portal.member_id)
    query = refresh_query(state["refresh_token"])
    await world.http.get("/oauth/token/", params=query)

    second = await world.http.get("/oauth/token/", params=query)

    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


async def test_refresh_kills_the_old_access_token_and_the_new_one_works(
    world: World,
) -> None:
    portal, old_token = await world.installed_portal()
    state = await world.control.portal(portal.member_id)
    answer = (
        await world.http.post(
            "/oauth/token/", data=refresh_query(state["refresh_token"])
        )
    ).json()

    old = await world.rest(portal, "app.info", {}, old_token)
    new = await world.rest(portal, "app.info", {}, answer["access_token"])

    assert old.status_code == 401
    assert old.json()["error"] == "invalid_token"
    assert new.status_code == 200


async def test_refreshes_are_counted_per_portal(world: World) -> None:
    first, _ = await world.installed_portal()
    second, _ = await world.installed_portal()
    state = await world.control.portal(first.member_id)

    await world.http.get("/oauth/token/", params=refresh_query(state["refresh_token"]))

    assert (await world.control.portal(first.member_id))["refreshes"] == 1
    assert (await world.control.portal(second.member_id))["refreshes"] == 0


async def test_wrong_client_secret_is_invalid_client_and_keeps_the_token(
    world: World,
) -> None:
    portal, _ = await world.installed_portal()
    state = await world.control.portal(portal.member_id)

    wrong = await world.http.get(
        "/oauth/token/", params=refresh_query(state["refresh_token"], secret="nope")
    )
    right = await world.http.get(
        "/oauth/token/", params=refresh_query(state["refresh_token"])
    )

    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert right.status_code == 200


async def test_unknown_refresh_token_is_invalid_grant(world: World) -> None:
    response = await world.http.get("/oauth/token/", params=refresh_query("0" * 32))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
