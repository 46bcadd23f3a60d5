"""What the MongoDB inbox promises beyond the contract: its indexes and documents."""

from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import pytest
from pymongo.database import Database
from pymongo.errors import AutoReconnect

from adapters.mongo_inbox import (
    JOBS,
    LEASE_INDEX,
    LEASES,
    PENDING_CONTACT_INDEX,
    MongoContactInbox,
)
from application.errors import ConfigurationError, StorageUnavailable
from tests.integration.conftest import LIVE_MONGO

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MEMBER_ID = "a223c6b3710f85df22e9377d6c4f7553"

Document = dict[str, Any]


@pytest.fixture(params=["mongomock", LIVE_MONGO])
def database(request: pytest.FixtureRequest) -> Database[Document]:
    live = request.param == "mongodb"
    name = "live_mongo_database" if live else "mongomock_database"
    database: Database[Document] = request.getfixturevalue(name)
    return database


class UnreachableDatabase:
    """A database whose server is gone: every operation fails as pymongo would."""

    def __getitem__(self, name: str) -> "UnreachableDatabase":
        return self

    def __getattr__(self, name: str) -> Any:
        def fail(*args: object, **kwargs: object) -> NoReturn:
            raise AutoReconnect("connection refused")

        return fail


def test_one_pending_job_per_contact_is_kept_by_a_partial_unique_index(
    database: Database[Document],
) -> None:
    MongoContactInbox(database)

    index = database[JOBS].index_information()[PENDING_CONTACT_INDEX]

    assert index["unique"] is True
    assert [key for key, _ in index["key"]] == ["member_id", "contact_id"]
    assert index["partialFilterExpression"] == {"state": "pending"}


def test_one_lease_per_portal_is_kept_by_a_unique_index(
    database: Database[Document],
) -> None:
    MongoContactInbox(database)

    index = database[LEASES].index_information()[LEASE_INDEX]

    assert index["unique"] is True
    assert [key for key, _ in index["key"]] == ["member_id"]


def test_opening_twice_keeps_the_same_indexes(database: Database[Document]) -> None:
    MongoContactInbox(database)
    indexes = sorted(database[JOBS].index_information())

    MongoContactInbox(database)

    assert sorted(database[JOBS].index_information()) == indexes


def test_job_document_keeps_instants_as_dates(database: Database[Document]) -> None:
    inbox = MongoContactInbox(database)

    inbox.add(MEMBER_ID, "17", NOW)
    inbox.claim("worker-1", NOW, timedelta(seconds=30), 10)

    job = database[JOBS].find_one({"member_id": MEMBER_ID})
    lease = database[LEASES].find_one({"member_id": MEMBER_ID})
    assert job is not None
    assert lease is not None
    assert isinstance(job["due_at"], datetime)
    assert isinstance(lease["expires_at"], datetime)


def test_unreadable_job_is_a_storage_error(database: Database[Document]) -> None:
    inbox = MongoContactInbox(database)
    inbox.add(MEMBER_ID, "17", NOW)
    database[JOBS].update_one({}, {"$set": {"state": "lost"}})

    with pytest.raises(StorageUnavailable):
        inbox.jobs()


def test_driver_failure_is_a_storage_error_with_its_cause() -> None:
    with pytest.raises(StorageUnavailable) as caught:
        MongoContactInbox(UnreachableDatabase())  # type: ignore[arg-type]

    assert isinstance(caught.value.__cause__, AutoReconnect)


def test_malformed_url_is_a_configuration_error_that_hides_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        MongoContactInbox.from_url("mongodb://admin:s3cret-pass@127.0.0.1:port/")

    assert "s3cret-pass" not in str(caught.value)
