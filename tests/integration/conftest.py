"""Every storage adapter behind one `repository` fixture, for the contract suite.

A live MongoDB joins when `MONGODB_URI` is set; each run gets a database of its
own, dropped afterwards.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mongomock
import pytest
from pymongo import MongoClient
from pymongo.collection import Collection

from adapters.memory import InMemoryTokenRepository
from adapters.mongo import MongoTokenRepository
from adapters.sqlite import SqliteTokenRepository
from application.ports import TokenRepository

LIVE_MONGO = pytest.param(
    "mongodb",
    marks=[
        pytest.mark.live_mongo,
        pytest.mark.skipif(
            not os.environ.get("MONGODB_URI"), reason="MONGODB_URI is not set"
        ),
    ],
)


@pytest.fixture
def live_mongo_collection() -> Iterator[Collection[dict[str, Any]]]:
    """A `portals` collection in a fresh database of the server at MONGODB_URI."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip("MONGODB_URI is not set")

    client: MongoClient[dict[str, Any]] = MongoClient(
        uri, serverSelectionTimeoutMS=5_000
    )
    database = f"b24names_test_{uuid.uuid4().hex[:12]}"
    try:
        yield client[database]["portals"]
    finally:
        client.drop_database(database)
        client.close()


@pytest.fixture
def mongomock_collection() -> Collection[dict[str, Any]]:
    collection: Collection[dict[str, Any]] = mongomock.MongoClient().db.portals
    return collection


@pytest.fixture(params=["memory", "sqlite", "mongomock", LIVE_MONGO])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> TokenRepository:
    """Each adapter in turn, empty."""
    kind: str = request.param
    if kind == "memory":
        return InMemoryTokenRepository()
    if kind == "sqlite":
        return SqliteTokenRepository(tmp_path / "data" / "portals.sqlite3")
    if kind == "mongomock":
        return MongoTokenRepository(request.getfixturevalue("mongomock_collection"))
    return MongoTokenRepository(request.getfixturevalue("live_mongo_collection"))
