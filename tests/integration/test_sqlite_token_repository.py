"""What the SQLite store promises beyond the contract: a durable, shared file."""

import multiprocessing
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from adapters.records import REFRESH_DIGEST_FIELD
from adapters.sqlite import SCHEMA_VERSION, SqliteTokenRepository
from application.errors import StorageUnavailable
from tests.integration.portals import a_portal

MEMBER_ID = "a223c6b3710f85df22e9377d6c4f7553"
DIGEST = f"$.{REFRESH_DIGEST_FIELD}"


def raw(path: Path) -> "closing[sqlite3.Connection]":
    """A plain connection to the file, in autocommit mode, closed on leaving."""
    return closing(sqlite3.connect(path, isolation_level=None))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "b24names" / "portals.sqlite3"


def test_file_and_its_folders_are_created_on_open(path: Path) -> None:
    SqliteTokenRepository(path)

    assert path.is_file()


def test_portals_survive_reopening_the_file(path: Path) -> None:
    SqliteTokenRepository(path).save(a_portal(MEMBER_ID))

    reopened = SqliteTokenRepository(path)

    assert reopened.get(MEMBER_ID) == a_portal(MEMBER_ID)


def test_file_is_in_wal_mode(path: Path) -> None:
    SqliteTokenRepository(path)

    with raw(path) as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"


def test_file_records_the_current_schema_version(path: Path) -> None:
    repository = SqliteTokenRepository(path)

    assert repository.schema_version == SCHEMA_VERSION
    assert SqliteTokenRepository(path).schema_version == SCHEMA_VERSION


def test_file_of_a_newer_schema_is_refused(path: Path) -> None:
    SqliteTokenRepository(path)
    with raw(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    with pytest.raises(StorageUnavailable, match="schema version"):
        SqliteTokenRepository(path)


def test_unreadable_document_is_a_storage_error(path: Path) -> None:
    repository = SqliteTokenRepository(path)
    with raw(path) as db:
        db.execute("INSERT INTO portals VALUES (?, ?)", (MEMBER_ID, "{truncated"))

    with pytest.raises(StorageUnavailable):
        repository.get(MEMBER_ID)


def test_database_failure_is_a_storage_error_with_its_cause(tmp_path: Path) -> None:
    not_a_file = tmp_path / "portals.sqlite3"
    not_a_file.mkdir()

    with pytest.raises(StorageUnavailable) as caught:
        SqliteTokenRepository(not_a_file)

    assert isinstance(caught.value.__cause__, sqlite3.Error | OSError)


def test_folder_that_cannot_be_made_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(StorageUnavailable):
        SqliteTokenRepository(blocker / "portals.sqlite3")


def test_threads_sharing_one_repository_lose_no_save(path: Path) -> None:
    repository = SqliteTokenRepository(path)
    member_ids = [f"portal-{number:03d}" for number in range(120)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(lambda member_id: repository.save(a_portal(member_id)), member_ids)
        )

    assert [portal.member_id for portal in repository.list()] == member_ids


def save_portals(path: Path, prefix: str, count: int) -> None:
    """Open the file in this process and save `count` portals, then one shared."""
    repository = SqliteTokenRepository(path)
    for number in range(count):
        repository.save(a_portal(f"{prefix}-{number:03d}"))
    repository.save(a_portal("shared", access_token=f"access-from-{prefix}"))


def test_processes_sharing_one_file_lose_no_save(path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=save_portals, args=(path, prefix, 40))
        for prefix in ("left", "right")
    ]

    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0, 0]
    stored = SqliteTokenRepository(path).list()
    assert len(stored) == 81
    shared = SqliteTokenRepository(path).get("shared")
    assert shared is not None
    assert shared.access_token in ("access-from-left", "access-from-right")


def test_portal_stored_before_digests_is_saved_if_its_token_matches(
    path: Path,
) -> None:
    repository = SqliteTokenRepository(path)
    repository.save(a_portal(MEMBER_ID))
    with raw(path) as db:
        db.execute("UPDATE portals SET document = json_remove(document, ?)", (DIGEST,))
    refreshed = a_portal(MEMBER_ID, refresh_token="refresh-2")

    stale = repository.save_if_refresh_token(refreshed, "refresh-other")
    saved = repository.save_if_refresh_token(refreshed, f"refresh-{MEMBER_ID}")

    assert (stale, saved) == (False, True)
    assert repository.get(MEMBER_ID) == refreshed
