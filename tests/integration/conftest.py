"""Every storage adapter behind one fixture per port, for the contract suites.

A live MongoDB joins when `MONGODB_URI` is set; each test gets a database of its
own, dropped afterwards. `shared_*` fixtures leave out mongomock, whose
operations are not atomic across threads, for the tests that race threads.
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
from pymongo.database import Database

from adapters.memory import InMemoryTokenRepository
from adapters.memory_inbox import InMemoryContactInbox
from adapters.mongo import MongoTokenRepository
from adapters.mongo_inbox import MongoContactInbox
from adapters.sqlite import SqliteTokenRepository
from adapters.sqlite_inbox import SqliteContactInbox
from application.ports import ContactInbox, TokenRepository

Document = dict[str, Any]

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
def live_mongo_database() -> Iterator[Database[Document]]:
    """A fresh database of the server at MONGODB_URI, dropped afterwards."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip("MONGODB_URI is not set")

    client: MongoClient[Document] = MongoClient(
        uri, serverSelectionTimeoutMS=5_000, tz_aware=True
    )
    name = f"b24names_test_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


@pytest.fixture
def live_mongo_collection(
    live_mongo_database: Database[Document],
) -> Collection[Document]:
    """A `portals` collection in a fresh database of the server at MONGODB_URI."""
    return live_mongo_database["portals"]


@pytest.fixture
def mongomock_database() -> Database[Document]:
    database: Database[Document] = mongomock.MongoClient().db
    return database


@pytest.fixture
def mongomock_collection(
    mongomock_database: Database[Document],
) -> Collection[Document]:
    return mongomock_database["portals"]


@pytest.fixture(params=["memory", "sqlite", "mongomock", LIVE_MONGO])
def repository(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[TokenRepository]:
    """Each adapter in turn, empty."""
    yield from _repository(request, tmp_path)


@pytest.fixture(params=["memory", "sqlite", LIVE_MONGO])
def shared_repository(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[TokenRepository]:
    """Each adapter that keeps its promises under racing threads, empty."""
    yield from _repository(request, tmp_path)


@pytest.fixture(params=["memory", "sqlite", "mongomock", LIVE_MONGO])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ContactInbox]:
    """Each inbox adapter in turn, empty."""
    yield from _inbox(request, tmp_path)


@pytest.fixture(params=["memory", "sqlite", LIVE_MONGO])
def shared_inbox(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[ContactInbox]:
    """Each inbox adapter that keeps its promises under racing threads, empty."""
    yield from _inbox(request, tmp_path)


def _repository(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[TokenRepository]:
    kind: str = request.param
    if kind == "memory":
        yield InMemoryTokenRepository()
    elif kind == "sqlite":
        repository = SqliteTokenRepository(tmp_path / "data" / "portals.sqlite3")
        yield repository
        repository.close()
    elif kind == "mongomock":
        yield MongoTokenRepository(request.getfixturevalue("mongomock_collection"))
    else:
        yield MongoTokenRepository(request.getfixturevalue("live_mongo_collection"))


def _inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ContactInbox]:
    kind: str = request.param
    if kind == "memory":
        yield InMemoryContactInbox()
    elif kind == "sqlite":
        inbox = SqliteContactInbox(tmp_path / "data" / "inbox.sqlite3")
        yield inbox
        inbox.close()
    elif kind == "mongomock":
        yield MongoContactInbox(request.getfixturevalue("mongomock_database"))
    else:
        yield MongoContactInbox(request.getfixturevalue("live_mongo_database"))
