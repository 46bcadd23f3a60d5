"""A `TokenRepository` in a MongoDB collection, one document per portal.

Documents are built by `adapters.records`; a unique index on `member_id` keeps
one document per portal even when two processes save the same portal at once.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import ASCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError, PyMongoError

from adapters.records import (
    REFRESH_DIGEST_FIELD,
    portal_from_record,
    portal_to_record,
    refresh_token_digest,
)
from adapters.sealing import NO_SEALING, Sealer
from application.errors import ConfigurationError, StorageUnavailable
from application.ports import TokenRepository
from domain.portal import Portal

logger = logging.getLogger(__name__)

COLLECTION = "portals"
MEMBER_ID_INDEX = "member_id_unique"

#: Fail fast when the server is gone rather than hang a request for 30 s.
CLIENT_OPTIONS: dict[str, Any] = {
    "tz_aware": True,
    "appname": "b24names",
    "serverSelectionTimeoutMS": 5_000,
    "connectTimeoutMS": 5_000,
    "socketTimeoutMS": 10_000,
}

Document = dict[str, Any]


class MongoTokenRepository(TokenRepository):
    """Portals in `collection`; the unique index on `member_id` is made at start.

    Every failure of the driver is raised as `StorageUnavailable`.
    """

    def __init__(
        self, collection: Collection[Document], sealer: Sealer = NO_SEALING
    ) -> None:
        self._collection = collection
        self._sealer = sealer
        self._client: MongoClient[Document] | None = None

        with driver_errors("create the member_id index"):
            collection.create_index(
                [("member_id", ASCENDING)], unique=True, name=MEMBER_ID_INDEX
            )

    @classmethod
    def from_url(
        cls, url: str, database: str = "b24names", sealer: Sealer = NO_SEALING
    ) -> "MongoTokenRepository":
        """A repository on its own client for `url`; `close()` closes that client.

        The database is the one the URL names (`mongodb://host/NAME`), else
        `database`.

        Raises `ConfigurationError` for a malformed URL and `StorageUnavailable`
        when the server cannot be reached.
        """
        client = open_client(url)
        try:
            repository = cls(client.get_default_database(database)[COLLECTION], sealer)
        except StorageUnavailable:
            client.close()
            raise
        repository._client = client
        return repository

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._collection.full_name!r})"

    def close(self) -> None:
        """Close the client that `from_url` opened.

        A repository built on a given collection leaves its client to the caller.
        """
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, member_id: str) -> Portal | None:
        with driver_errors("read a portal"):
            record = self._collection.find_one(
                {"member_id": member_id}, projection={"_id": False}
            )

        return None if record is None else portal_from_record(record, self._sealer)

    def save(self, portal: Portal) -> None:
        record = portal_to_record(portal, self._sealer)

        with driver_errors("save a portal"):
            try:
                self._upsert(record)
            except DuplicateKeyError:
                # Two first saves raced and the other inserted; now ours replaces.
                self._upsert(record)

    def save_if_refresh_token(self, portal: Portal, expected: str) -> bool:
        record = portal_to_record(portal, self._sealer)
        # A document written before digests were kept holds its refresh token in
        # plain, so it is compared as it is.
        condition = {
            "member_id": portal.member_id,
            "$or": [
                {REFRESH_DIGEST_FIELD: refresh_token_digest(expected)},
                {REFRESH_DIGEST_FIELD: {"$exists": False}, "refresh_token": expected},
            ],
        }

        with driver_errors("save a portal if its refresh token is unchanged"):
            outcome = self._collection.replace_one(condition, record)

        return outcome.matched_count == 1

    def delete(self, member_id: str) -> None:
        with driver_errors("delete a portal"):
            self._collection.delete_one({"member_id": member_id})

    def list(self) -> list[Portal]:
        with driver_errors("list portals"):
            records = list(
                self._collection.find({}, projection={"_id": False}).sort(
                    "member_id", ASCENDING
                )
            )

        return [portal_from_record(record, self._sealer) for record in records]

    def _upsert(self, record: Document) -> None:
        self._collection.replace_one(
            {"member_id": record["member_id"]}, record, upsert=True
        )


def open_client(url: str) -> "MongoClient[Document]":
    """A client for `url` with `CLIENT_OPTIONS`; the caller closes it.

    Raises `ConfigurationError` for a malformed URL, naming no part of it.
    """
    try:
        return MongoClient(url, **CLIENT_OPTIONS)
    except (PyMongoError, ValueError) as exc:
        # The driver's message may quote the URL, password included.
        raise ConfigurationError(
            f"the MongoDB URL is not valid: {type(exc).__name__}"
        ) from exc


@contextmanager
def driver_errors(action: str) -> Iterator[None]:
    """Raise every driver error inside as `StorageUnavailable`, naming `action`."""
    try:
        yield
    except PyMongoError as exc:
        # Driver messages can quote the connection string, so only the class goes.
        logger.warning("mongodb failed action=%s error=%s", action, type(exc).__name__)
        raise StorageUnavailable(
            f"MongoDB could not {action}: {type(exc).__name__}"
        ) from exc
