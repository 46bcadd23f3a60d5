"""`batch`: PHP query strings in `cmd`, the documented envelope, halt."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import World

pytestmark = pytest.mark.anyio


async def test_batch_runs_php_style_commands(world: World) -> None:
    portal, token = await world.installed_portal()
    contact_id = await world.control.add_contact(portal.member_id, NAME="ivan")
    cmd = {
        "fix": f"crm.contact.update?id={contact_id}&fields[NAME]=Ivan"
        "&params[REGISTER_SONET_EVENT]=N",
        "read": f"crm.contact.get?id={contact_id}",
    }

    response = await world.rest(portal, "batch", {"halt": 0, "cmd": cmd}, token)

    result = response.json()["result"]
    assert result["result"]["fix"] is True
    assert result["result"]["read"]["NAME"] == "Ivan"
    assert result["result_error"] == []
    assert result["result_total"] == []
    assert set(result["result_time"]) == {"fix", "read"}


async def test_failing_command_is_reported_with_http_200(world: World) -> None:
    portal, token = await world.installed_portal()
    cmd = {"missing": "crm.contact.get?id=404", "app": "app.info"}

    response = await world.rest(portal, "batch", {"cmd": cmd}, token)

    result = response.json()["result"]
    assert response.status_code == 200
    assert result["result_error"] == {
        "missing": {"error": "", "error_description": "Not found"}
    }
    assert list(result["result"]) == ["app"]
    assert result["result_next"] == []


async def test_halt_stops_at_the_first_failure(world: World) -> None:
    portal, token = await world.installed_portal()
    cmd = {"missing": "crm.contact.get?id=404", "app": "app.info"}

    response = await world.rest(portal, "batch", {"halt": 1, "cmd": cmd}, token)

    result = response.json()["result"]
    assert result["result"] == []
    assert list(result["result_error"]) == ["missing"]


async def test_list_commands_report_total_and_next(world: World) -> None:
    portal, token = await world.installed_portal()
    for number in range(51):
        await world.control.add_contact(portal.member_id, NAME=f"n{number}")
    cmd = {"page": "crm.contact.list?select[]=ID&order[ID]=ASC"}

    response = await world.rest(portal, "batch", {"cmd": cmd}, token)

    result = response.json()["result"]
    assert result["result_total"] == {"page": 51}
    assert result["result_next"] == {"page": 50}
    assert set(result["result"]["page"][0]) == {"ID"}


async def test_numeric_keys_make_json_arrays(world: World) -> None:
    portal, token = await world.installed_portal()

    response = await world.rest(portal, "batch", {"cmd": ["app.info"]}, token)

    assert response.json()["result"]["result"][0]["INSTALLED"] is True


async def test_more_than_fifty_commands_are_refused(world: World) -> None:
    portal, token = await world.installed_portal()
    cmd = {f"c{number}": "app.info" for number in range(51)}

    response = await world.rest(portal, "batch", {"cmd": cmd}, token)

    assert response.status_code == 400
    assert response.json()["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"


async def test_silently_deleted_contact_fails_alone_in_a_batch(world: World) -> None:
    portal, token = await world.installed_portal()
    kept = await world.control.add_contact(portal.member_id, NAME="kept")
    gone = await world.control.add_contact(portal.member_id, NAME="gone")
    await world.control.delete_contact(portal.member_id, gone, silent=True)
    cmd = {"kept": f"crm.contact.get?id={kept}", "gone": f"crm.contact.get?id={gone}"}

    response = await world.rest(portal, "batch", {"halt": 0, "cmd": cmd}, token)

    result = response.json()["result"]
    assert response.status_code == 200
    assert result["result"]["kept"]["NAME"] == "kept"
    assert result["result_error"] == {
        "gone": {"error": "", "error_description": "Not found"}
    }
    assert list(result["result_time"]) == ["kept"]
