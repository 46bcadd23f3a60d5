"""Tokens are sealed at rest in every persistent store, and a wrong key loses
nothing."""

import sqlite3
from pathlib import Path
from typing import Any

import mongomock
import pytest

from adapters.mongo import MongoTokenRepository
from adapters.sealing import TokenSealer, new_key
from adapters.sqlite import SqliteTokenRepository
from application.errors import SealingError
from tests.integration.portals import a_portal

TOKENS = ("access-", "refresh-", "application-")


def test_sqlite_file_holds_no_token_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "portals.sqlite3"
    repository = SqliteTokenRepository(path, sealer=TokenSealer([new_key()]))

    repository.save(a_portal())

    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    dump = "\n".join(sqlite3.connect(path).iterdump())
    for prefix in TOKENS:
        assert prefix.encode() not in raw
        assert prefix not in dump
    assert repository.get(a_portal().member_id) == a_portal()


def test_mongo_document_holds_no_token_in_clear() -> None:
    collection: Any = mongomock.MongoClient().db.portals
    repository = MongoTokenRepository(collection, sealer=TokenSealer([new_key()]))

    repository.save(a_portal())

    document = str(collection.find_one({}))
    for prefix in TOKENS:
        assert prefix not in document
    assert repository.get(a_portal().member_id) == a_portal()


def test_wrong_key_is_a_clear_error_and_loses_no_data(tmp_path: Path) -> None:
    path = tmp_path / "portals.sqlite3"
    right = TokenSealer([new_key()])
    SqliteTokenRepository(path, sealer=right).save(a_portal())

    with pytest.raises(SealingError, match="key file does not match") as caught:
        SqliteTokenRepository(path, sealer=TokenSealer([new_key()])).list()

    for prefix in TOKENS:
        assert prefix not in str(caught.value)
    assert SqliteTokenRepository(path, sealer=right).list() == [a_portal()]


def test_rotated_key_reseals_and_old_values_still_open(tmp_path: Path) -> None:
    path = tmp_path / "portals.sqlite3"
    old, new = new_key(), new_key()
    SqliteTokenRepository(path, sealer=TokenSealer([old])).save(a_portal())
    both = SqliteTokenRepository(path, sealer=TokenSealer([new, old]))

    for portal in both.list():
        both.save(portal)

    only_new = SqliteTokenRepository(path, sealer=TokenSealer([new]))
    assert only_new.list() == [a_portal()]
