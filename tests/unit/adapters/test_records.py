"""The stored document of a portal: its shape, its datetimes, what it refuses."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.records import (
    RECORD_VERSION,
    TOKEN_FIELDS,
    portal_from_record,
    portal_to_record,
)
from application.errors import StorageUnavailable
from domain.names import NameField
from domain.portal import NameSettings, Portal, PortalStatus

NOW = datetime(2026, 5, 14, 10, 26, 32, 910_000, tzinfo=UTC)


def a_portal(**changes: Any) -> Portal:
    portal = Portal(
        member_id="a223c6b3710f85df22e9377d6c4f7553",
        domain="some-domain.bitrix24.com",
        client_endpoint="https://some-domain.bitrix24.com/rest/",
        access_token="s6p6eclrvim6da22ft9ch94ekreb52lv",
        refresh_token="4s386p3q0tr8dy89xvmt96234v3dljg8",
        expires_at=NOW + timedelta(hours=1),
        application_token="51856fefc120afa4b628cc82d3935cce",
        scope="crm",
        language="de",
        installed_at=NOW,
        updated_at=NOW,
    )
    return replace(portal, **changes)


def test_record_round_trips_to_an_equal_portal() -> None:
    portal = a_portal(
        status=PortalStatus.UNINSTALLED,
        app_version="2.0",
        settings=NameSettings(False, frozenset({NameField.MIDDLE}), "ru"),
    )

    assert portal_from_record(portal_to_record(portal)) == portal


def test_record_holds_each_token_under_its_field_name() -> None:
    portal = a_portal()

    record = portal_to_record(portal)

    assert {name: record[name] for name in TOKEN_FIELDS} == {
        "access_token": portal.access_token,
        "refresh_token": portal.refresh_token,
        "application_token": portal.application_token,
    }


def test_record_is_versioned_and_holds_only_plain_values() -> None:
    record = portal_to_record(a_portal())

    assert record["version"] == RECORD_VERSION
    assert record["status"] == "active"
    assert record["settings"] == {
        "enabled": True,
        "fields": ["first", "last", "middle"],
        "language": None,
    }


def test_record_datetimes_are_utc_cut_to_the_millisecond() -> None:
    moscow = timezone(timedelta(hours=3))
    moment = datetime(2026, 5, 14, 13, 0, 0, 123_456, tzinfo=moscow)

    record = portal_to_record(a_portal(expires_at=moment))

    assert record["expires_at"] == datetime(2026, 5, 14, 10, 0, 0, 123_000, tzinfo=UTC)
    assert record["expires_at"].tzinfo is UTC


def test_naive_datetime_is_refused_on_the_way_in() -> None:
    naive = datetime(2026, 5, 14, 10, 0)

    with pytest.raises(ValueError, match="naive"):
        portal_to_record(a_portal(expires_at=naive))


def test_naive_stored_datetimes_are_read_as_utc() -> None:
    record = portal_to_record(a_portal())
    record["expires_at"] = datetime(2026, 5, 14, 11, 26, 32, 910_000)

    portal = portal_from_record(record)

    assert portal.expires_at == NOW + timedelta(hours=1)
    assert portal.expires_at.tzinfo is UTC


def test_iso_strings_are_read_as_utc_datetimes() -> None:
    record = portal_to_record(a_portal())
    record["installed_at"] = "2026-05-14T13:26:32.910+03:00"

    portal = portal_from_record(record)

    assert portal.installed_at == NOW
    assert portal.installed_at.tzinfo is UTC


def test_unknown_keys_such_as_mongo_ids_are_ignored() -> None:
    record = portal_to_record(a_portal()) | {"_id": object(), "later_field": 1}

    assert portal_from_record(record) == a_portal()


def test_record_without_settings_reads_with_default_settings() -> None:
    record = portal_to_record(a_portal())
    del record["settings"]

    assert portal_from_record(record).settings == NameSettings()


@pytest.mark.parametrize(
    "damage",
    [
        {"version": RECORD_VERSION + 1},
        {"version": "1"},
        {"member_id": None},
        {"expires_at": 1780319382},
        {"expires_at": "yesterday"},
        {"status": "paused"},
        {"settings": {"fields": ["first", "nickname"]}},
        {"settings": {"enabled": "yes"}},
    ],
)
def test_unreadable_record_is_a_storage_error(damage: dict[str, Any]) -> None:
    record = portal_to_record(a_portal()) | damage

    with pytest.raises(StorageUnavailable):
        portal_from_record(record)


def test_record_missing_a_token_is_a_storage_error() -> None:
    record = portal_to_record(a_portal())
    del record["refresh_token"]

    with pytest.raises(StorageUnavailable, match="a223c6b3710f85df22e9377d6c4f7553"):
        portal_from_record(record)


aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
)


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(max_size=40),
    moment=aware_datetimes,
    fields=st.frozensets(st.sampled_from(list(NameField))),
    language=st.none() | st.text(max_size=5),
)
def test_any_portal_comes_back_at_the_same_millisecond(
    text: str,
    moment: datetime,
    fields: frozenset[NameField],
    language: str | None,
) -> None:
    portal = a_portal(
        domain=text,
        access_token=text,
        scope=text,
        expires_at=moment,
        settings=NameSettings(True, fields, language),
    )

    stored = portal_from_record(portal_to_record(portal))

    assert stored.expires_at == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )
    assert replace(stored, expires_at=portal.expires_at) == portal
