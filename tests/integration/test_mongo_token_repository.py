"""What the MongoDB store promises beyond the contract: its index and documents."""

import hashlib
import os
import uuid
from datetime import datetime
from typing import Any, NoReturn

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import AutoReconnect

from adapters.mongo import MEMBER_ID_INDEX, MongoTokenRepository
from adapters.records import REFRESH_DIGEST_FIELD
from application.errors import ConfigurationError, StorageUnavailable
from tests.integration.conftest import LIVE_MONGO
from tests.integration.portals import a_portal

MEMBER_ID = "a223c6b3710f85df22e9377d6c4f7553"

Document = dict[str, Any]


@pytest.fixture(params=["mongomock", LIVE_MONGO])
def collection(request: pytest.FixtureRequest) -> Collection[Document]:
    live = request.param == "mongodb"
    name = "live_mongo_collection" if live else "mongomock_collection"
    collection: Collection[Document] = request.getfixturevalue(name)
    return collection


class UnreachableCollection:
    """A collection whose server is gone: every operation fails as pymongo would."""

    full_name = "b24names.portals"

    def __getattr__(self, name: str) -> Any:
        def fail(*args: object, **kwargs: object) -> NoReturn:
            raise AutoReconnect("connection refused")

        return fail


def test_member_id_index_is_unique(collection: Collection[Document]) -> None:
    MongoTokenRepository(collection)

    index = collection.index_information()[MEMBER_ID_INDEX]

    assert index["unique"] is True
    assert [key for key, _ in index["key"]] == ["member_id"]


def test_opening_twice_keeps_one_index(collection: Collection[Document]) -> None:
    MongoTokenRepository(collection)

    MongoTokenRepository(collection)

    assert sorted(collection.index_information()) == ["_id_", MEMBER_ID_INDEX]


def test_document_keeps_dates_as_dates_and_no_second_copy(
    collection: Collection[Document],
) -> None:
    repository = MongoTokenRepository(collection)

    repository.save(a_portal(MEMBER_ID))
    repository.save(a_portal(MEMBER_ID, access_token="access-new"))

    assert collection.count_documents({}) == 1
    document = collection.find_one({"member_id": MEMBER_ID})
    assert document is not None
    assert isinstance(document["expires_at"], datetime)
    assert document["access_token"] == "access-new"


def test_document_holds_the_digest_of_the_refresh_token(
    collection: Collection[Document],
) -> None:
    repository = MongoTokenRepository(collection)

    repository.save(a_portal(MEMBER_ID))

    document = collection.find_one({"member_id": MEMBER_ID})
    assert document is not None
    expected = hashlib.sha256(f"refresh-{MEMBER_ID}".encode()).hexdigest()
    assert document[REFRESH_DIGEST_FIELD] == expected


def test_portal_stored_before_digests_is_saved_if_its_token_matches(
    collection: Collection[Document],
) -> None:
    repository = MongoTokenRepository(collection)
    repository.save(a_portal(MEMBER_ID))
    collection.update_one({}, {"$unset": {REFRESH_DIGEST_FIELD: ""}})
    refreshed = a_portal(MEMBER_ID, refresh_token="refresh-2")

    stale = repository.save_if_refresh_token(refreshed, "refresh-other")
    saved = repository.save_if_refresh_token(refreshed, f"refresh-{MEMBER_ID}")

    assert (stale, saved) == (False, True)
    assert repository.get(MEMBER_ID) == refreshed


def test_driver_failure_is_a_storage_error_with_its_cause() -> None:
    with pytest.raises(StorageUnavailable) as caught:
        MongoTokenRepository(UnreachableCollection())  # type: ignore[arg-type]

    assert isinstance(caught.value.__cause__, AutoReconnect)


@pytest.mark.parametrize(
    "url",
    [
        "mongodb://admin:s3cret-pass@127.0.0.1:port/",
        "mongo://admin:s3cret-pass@127.0.0.1/",
        "mongodb://admin:s3cret-pass@",
    ],
)
def test_malformed_url_is_a_configuration_error_that_hides_the_password(
    url: str,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        MongoTokenRepository.from_url(url)

    assert "s3cret-pass" not in str(caught.value)
    assert "s3cret-pass" not in repr(caught.value)


@pytest.mark.live_mongo
@pytest.mark.skipif(not os.environ.get("MONGODB_URI"), reason="MONGODB_URI is not set")
def test_from_url_stores_in_the_named_database() -> None:
    uri = os.environ["MONGODB_URI"]
    database = f"b24names_test_{uuid.uuid4().hex[:12]}"
    repository = MongoTokenRepository.from_url(uri, database)

    try:
        repository.save(a_portal(MEMBER_ID))
        with MongoClient[Document](uri) as client:
            stored = client[database]["portals"].find_one({}, {"_id": False})
    finally:
        repository.close()
        with MongoClient[Document](uri) as client:
            client.drop_database(database)

    assert stored is not None
    assert stored["member_id"] == MEMBER_ID
