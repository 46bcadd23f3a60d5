"""What the SQLite inbox promises beyond the contract: a durable file that several
processes, and the token repository, can share."""

import itertools
import json
import multiprocessing
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Barrier

import pytest

from adapters.sqlite import SCHEMA_VERSION as REPOSITORY_SCHEMA_VERSION
from adapters.sqlite import SqliteTokenRepository
from adapters.sqlite_inbox import COMPONENT, SCHEMA_VERSION, SqliteContactInbox
from application.errors import StorageUnavailable
from application.ports import JobState
from tests.integration.portals import a_portal

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
MEMBER_ID = "a223c6b3710f85df22e9377d6c4f7553"


def raw(path: Path) -> "closing[sqlite3.Connection]":
    """A plain connection to the file, in autocommit mode, closed on leaving."""
    return closing(sqlite3.connect(path, isolation_level=None))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "b24names" / "b24names.sqlite3"


def test_file_is_created_in_wal_mode(path: Path) -> None:
    SqliteContactInbox(path).close()

    with raw(path) as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"


def test_jobs_survive_reopening_the_file(path: Path) -> None:
    inbox = SqliteContactInbox(path)
    inbox.add(MEMBER_ID, "17", NOW)
    inbox.close()

    reopened = SqliteContactInbox(path)

    assert [job.contact_id for job in reopened.jobs()] == ["17"]


def test_closed_inbox_opens_new_connections_when_used_again(path: Path) -> None:
    inbox = SqliteContactInbox(path)
    inbox.close()

    inbox.add(MEMBER_ID, "17", NOW)

    assert inbox.counts() == {MEMBER_ID: {JobState.PENDING: 1}}


def test_file_records_the_inbox_schema_version(path: Path) -> None:
    inbox = SqliteContactInbox(path)

    assert inbox.schema_version == SCHEMA_VERSION
    assert SqliteContactInbox(path).schema_version == SCHEMA_VERSION


def test_file_of_a_newer_inbox_schema_is_refused(path: Path) -> None:
    SqliteContactInbox(path).close()
    with raw(path) as db:
        db.execute(
            "UPDATE schema_versions SET version = ? WHERE component = ?",
            (SCHEMA_VERSION + 1, COMPONENT),
        )

    with pytest.raises(StorageUnavailable, match="inbox schema version"):
        SqliteContactInbox(path)


def test_inbox_and_token_repository_share_one_file(path: Path) -> None:
    inbox = SqliteContactInbox(path)
    repository = SqliteTokenRepository(path)

    inbox.add(MEMBER_ID, "17", NOW)
    repository.save(a_portal(MEMBER_ID))

    assert repository.get(MEMBER_ID) == a_portal(MEMBER_ID)
    assert inbox.counts() == {MEMBER_ID: {JobState.PENDING: 1}}
    assert repository.schema_version == REPOSITORY_SCHEMA_VERSION
    assert SqliteContactInbox(path).schema_version == SCHEMA_VERSION


def test_unreadable_job_is_a_storage_error(path: Path) -> None:
    inbox = SqliteContactInbox(path)
    inbox.add(MEMBER_ID, "17", NOW)
    with raw(path) as db:
        db.execute("UPDATE contact_jobs SET state = 'lost'")

    with pytest.raises(StorageUnavailable):
        inbox.jobs()


def test_database_failure_is_a_storage_error_with_its_cause(tmp_path: Path) -> None:
    not_a_file = tmp_path / "inbox.sqlite3"
    not_a_file.mkdir()

    with pytest.raises(StorageUnavailable) as caught:
        SqliteContactInbox(not_a_file)

    assert isinstance(caught.value.__cause__, sqlite3.Error | OSError)


def test_new_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "inbox.sqlite3"

    SqliteContactInbox(path).add("a" * 32, "1", NOW)

    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def drain_in_process(path: Path, owner: str, start: Barrier, report: Path) -> None:
    """Open the file in this process, then claim, complete and release until no
    portal is free; write what was done and when each portal was held."""
    inbox = SqliteContactInbox(path)
    done: list[tuple[str, str]] = []
    spans: list[tuple[str, int, int]] = []
    start.wait(timeout=60)

    while (claimed := inbox.claim(owner, NOW, LEASE, 1)) is not None:
        lease, jobs = claimed
        began = time.monotonic_ns()
        for job in jobs:
            inbox.complete(job)
            done.append((job.member_id, job.contact_id))
        spans.append((lease.member_id, began, time.monotonic_ns()))
        inbox.release(lease)

    report.write_text(json.dumps({"done": done, "spans": spans}))


def overlapping(spans: list[tuple[str, int, int]]) -> list[str]:
    """Portals that two spans held at the same time."""
    clashes = []
    ordered = sorted(spans, key=lambda span: (span[0], span[1]))
    for before, after in itertools.pairwise(ordered):
        if before[0] == after[0] and after[1] < before[2]:
            clashes.append(after[0])
    return clashes


def test_processes_never_share_a_portal_and_complete_each_job_once(
    path: Path, tmp_path: Path
) -> None:
    expected = [(f"portal-{p}", str(c)) for p in range(8) for c in range(25)]
    inbox = SqliteContactInbox(path)
    for member_id, contact_id in expected:
        inbox.add(member_id, contact_id, NOW - timedelta(seconds=1))
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    reports = [tmp_path / f"worker-{n}.json" for n in range(2)]
    workers = [
        context.Process(target=drain_in_process, args=(path, f"worker-{n}", start, r))
        for n, r in enumerate(reports)
    ]

    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0, 0]
    results = [json.loads(report.read_text()) for report in reports]
    done = [(m, c) for result in results for m, c in result["done"]]
    spans = [(m, a, b) for result in results for m, a, b in result["spans"]]
    assert overlapping(spans) == []
    assert sorted(done) == sorted(expected)
    assert inbox.counts() == {}
