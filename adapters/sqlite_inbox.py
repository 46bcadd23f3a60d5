"""A `ContactInbox` in an SQLite file, safe for threads and processes on a machine.

Jobs live in `contact_jobs`, one row each, leases in `portal_leases`, one row per
leased portal. A partial unique index keeps one pending job per contact, so `add`
is a single upsert. Instants are stored as milliseconds since the Unix epoch.
Claims run in `BEGIN IMMEDIATE` transactions, which take the file's write lock
first, so two claimants never read the same free portal. The file may be the one
`SqliteTokenRepository` uses: the inbox keeps its own tables and its own schema
version, in the `schema_versions` table.
"""

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.inbox_rules import claim_window
from adapters.instants import from_millis, to_millis
from adapters.sqlite_files import DEFAULT_BUSY_TIMEOUT, SqliteFile
from application.errors import LeaseLost, StorageUnavailable
from application.ports import ContactInbox, ContactJob, JobState, Lease

logger = logging.getLogger(__name__)

COMPONENT = "contact_inbox"

#: How often a claim looks again when other claimants took the portals it found.
_CLAIM_TRIES = 5

#: Each entry moves the schema one version up; its index + 1 is the version it makes.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE contact_jobs (
            id INTEGER PRIMARY KEY,
            member_id TEXT NOT NULL,
            contact_id TEXT NOT NULL,
            state TEXT NOT NULL,
            revision INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            due_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            last_error TEXT NOT NULL
        )
        """,
        """
        CREATE UNIQUE INDEX contact_jobs_pending_contact
        ON contact_jobs (member_id, contact_id) WHERE state = 'pending'
        """,
        "CREATE INDEX contact_jobs_due ON contact_jobs (state, due_at, member_id)",
        """
        CREATE INDEX contact_jobs_portal
        ON contact_jobs (member_id, state, created_at, contact_id)
        """,
        """
        CREATE TABLE portal_leases (
            member_id TEXT PRIMARY KEY NOT NULL,
            owner TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        )
        """,
    ),
)

SCHEMA_VERSION = len(_MIGRATIONS)

_ADD = """
    INSERT INTO contact_jobs
        (member_id, contact_id, state, revision, attempts, due_at, created_at,
         last_error)
    VALUES (?, ?, 'pending', 1, 0, ?, ?, '')
    ON CONFLICT (member_id, contact_id) WHERE state = 'pending'
    DO UPDATE SET revision = revision + 1, due_at = min(due_at, excluded.due_at)
"""

# The leased portals form a short list; checking each due job against it costs a
# third of a correlated lookup when a leased portal has thousands of due jobs.
_FREE_PORTAL = """
    SELECT member_id FROM contact_jobs
    WHERE state = 'pending' AND due_at <= :now AND member_id NOT IN (
        SELECT member_id FROM portal_leases
        WHERE owner <> :owner AND expires_at > :now
    )
    ORDER BY due_at, member_id
    LIMIT 1
"""

_TAKE_LEASE = """
    INSERT INTO portal_leases (member_id, owner, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (member_id)
    DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
"""

_LEASED_BY_OTHER = """
    SELECT 1 FROM portal_leases WHERE member_id = ? AND owner <> ? AND expires_at > ?
"""

# Without statistics SQLite would walk every portal's due jobs instead.
_DUE_JOBS = """
    SELECT member_id, contact_id, state, revision, attempts, due_at, created_at,
           last_error
    FROM contact_jobs INDEXED BY contact_jobs_portal
    WHERE member_id = ? AND state = 'pending' AND due_at <= ?
    ORDER BY created_at, contact_id
    LIMIT ?
"""

# The statements below pick the pending job a claimed `ContactJob` was read from
# by its contact and its creation instant.

_DELETE_DONE = """
    DELETE FROM contact_jobs
    WHERE member_id = :member_id AND contact_id = :contact_id
      AND state = 'pending' AND created_at = :created_at
      AND revision = :revision
"""

_KEEP_CHANGED = """
    UPDATE contact_jobs SET attempts = 0, last_error = :error
    WHERE member_id = :member_id AND contact_id = :contact_id
      AND state = 'pending' AND created_at = :created_at
      AND revision > :revision
"""

_RETRY = """
    UPDATE contact_jobs
    SET attempts = attempts + 1, last_error = :error, due_at = :due_at
    WHERE member_id = :member_id AND contact_id = :contact_id
      AND state = 'pending' AND created_at = :created_at
"""

_FAIL = """
    UPDATE contact_jobs
    SET state = 'failed', attempts = attempts + 1, last_error = :error
    WHERE member_id = :member_id AND contact_id = :contact_id
      AND state = 'pending' AND created_at = :created_at
      AND revision = :revision
"""

_JOBS = """
    SELECT member_id, contact_id, state, revision, attempts, due_at, created_at,
           last_error
    FROM contact_jobs
    WHERE (:member_id IS NULL OR member_id = :member_id)
      AND (:state IS NULL OR state = :state)
    ORDER BY created_at, member_id, contact_id
"""

#: Failed jobs whose contact has a pending job, or an older failed one: requeueing
#: them would make a second pending job for the contact, so they fold away.
_FOLD_FAILED = """
    DELETE FROM contact_jobs AS failed
    WHERE state = 'failed' AND (:member_id IS NULL OR member_id = :member_id)
      AND EXISTS (
        SELECT 1 FROM contact_jobs AS other
        WHERE other.member_id = failed.member_id
          AND other.contact_id = failed.contact_id
          AND (other.state = 'pending'
               OR (other.state = 'failed' AND other.id < failed.id))
    )
"""

_REQUEUE_FAILED = """
    UPDATE contact_jobs SET state = 'pending', attempts = 0, due_at = :now
    WHERE state = 'failed' AND (:member_id IS NULL OR member_id = :member_id)
"""


class SqliteContactInbox(ContactInbox):
    """Contact jobs in the SQLite file at `path`; missing parent folders are made.

    Opening migrates the inbox's tables to `SCHEMA_VERSION` and refuses a file whose
    inbox was written by a newer version. Every failure of the database is raised
    as `StorageUnavailable`. Each thread uses a connection of its own.

    By default a commit is not synced to disk: `add` then costs tens of
    microseconds instead of hundreds (and of milliseconds on a busy disk), and a
    job still survives the process crashing; only the last moments of events are
    lost if the machine itself fails. `sync_each_commit=True` trades that speed
    for surviving power loss too.
    """

    def __init__(
        self,
        path: Path,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        sync_each_commit: bool = False,
    ) -> None:
        self._file = SqliteFile(path, busy_timeout, sync_each_commit)
        with self._file.transaction() as db:
            _migrate(db, path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._file.path)!r})"

    def close(self) -> None:
        """Close the connections of every thread; later calls open new ones."""
        self._file.close()

    @property
    def schema_version(self) -> int:
        """The inbox's schema version recorded in the file."""
        with self._file.connection() as db:
            return _schema_version(db)

    def add(self, member_id: str, contact_id: str, now: datetime) -> None:
        moment = to_millis(now)

        with self._file.connection() as db:
            db.execute(_ADD, (member_id, contact_id, moment, moment))

    def add_all(self, changes: Sequence[tuple[str, str]], now: datetime) -> None:
        moment = to_millis(now)
        rows = [(member, contact, moment, moment) for member, contact in changes]

        with self._file.transaction() as db:
            db.executemany(_ADD, rows)

    def claim(
        self, owner: str, now: datetime, lease_for: timedelta, limit: int
    ) -> tuple[Lease, list[ContactJob]] | None:
        start, expires_at = claim_window(now, lease_for, limit)
        lease_terms = (owner, to_millis(start), to_millis(expires_at), limit)

        # The search reads without the write lock, so `add` never waits for it;
        # the transaction then checks the portal is still free before leasing it.
        for _ in range(_CLAIM_TRIES):
            member_id = self._free_portal(owner, start)
            if member_id is None:
                return None

            rows = self._lease_portal(member_id, *lease_terms)
            if rows:
                return Lease(member_id, owner, expires_at), [
                    _job_from_row(row) for row in rows
                ]

        return None

    def renew(self, lease: Lease, now: datetime, lease_for: timedelta) -> Lease:
        expires_at = to_millis(now + lease_for)

        with self._file.connection() as db:
            cursor = db.execute(
                "UPDATE portal_leases SET expires_at = ?"
                " WHERE member_id = ? AND owner = ?",
                (expires_at, lease.member_id, lease.owner),
            )

        if cursor.rowcount == 0:
            raise LeaseLost(lease.member_id)
        return Lease(lease.member_id, lease.owner, from_millis(expires_at))

    def release(self, lease: Lease) -> None:
        with self._file.connection() as db:
            db.execute(
                "DELETE FROM portal_leases WHERE member_id = ? AND owner = ?",
                (lease.member_id, lease.owner),
            )

    def complete(self, job: ContactJob) -> None:
        same_job = {**_identity(job), "revision": job.revision, "error": ""}

        with self._file.connection() as db:
            if db.execute(_DELETE_DONE, same_job).rowcount == 0:
                db.execute(_KEEP_CHANGED, same_job)

    def retry(self, job: ContactJob, error: str, due_at: datetime) -> None:
        change = {**_identity(job), "error": error, "due_at": to_millis(due_at)}

        with self._file.connection() as db:
            db.execute(_RETRY, change)

    def fail(self, job: ContactJob, error: str) -> None:
        same_job = {**_identity(job), "revision": job.revision, "error": error}

        with self._file.connection() as db:
            if db.execute(_FAIL, same_job).rowcount == 0:
                db.execute(_KEEP_CHANGED, same_job)

    def jobs(
        self, member_id: str | None = None, state: JobState | None = None
    ) -> list[ContactJob]:
        chosen = {
            "member_id": member_id,
            "state": None if state is None else state.value,
        }

        with self._file.connection() as db:
            rows = db.execute(_JOBS, chosen).fetchall()

        return [_job_from_row(row) for row in rows]

    def counts(self) -> dict[str, dict[JobState, int]]:
        with self._file.connection() as db:
            rows = db.execute(
                "SELECT member_id, state, count(*) FROM contact_jobs"
                " GROUP BY member_id, state"
            ).fetchall()

        counts: dict[str, dict[JobState, int]] = {}
        for member_id, state, number in rows:
            counts.setdefault(member_id, {})[_state(state)] = number
        return counts

    def requeue_failed(self, member_id: str | None, now: datetime) -> int:
        chosen = {"member_id": member_id, "now": to_millis(now)}

        with self._file.transaction() as db:
            folded = db.execute(_FOLD_FAILED, chosen).rowcount
            requeued = db.execute(_REQUEUE_FAILED, chosen).rowcount

        return folded + requeued

    def purge(self, member_id: str) -> None:
        with self._file.transaction() as db:
            db.execute("DELETE FROM contact_jobs WHERE member_id = ?", (member_id,))
            db.execute("DELETE FROM portal_leases WHERE member_id = ?", (member_id,))

    def _free_portal(self, owner: str, now: datetime) -> str | None:
        free = {"now": to_millis(now), "owner": owner}

        with self._file.connection() as db:
            row = db.execute(_FREE_PORTAL, free).fetchone()

        return None if row is None else str(row[0])

    def _lease_portal(
        self, member_id: str, owner: str, now: int, expires_at: int, limit: int
    ) -> list[tuple[Any, ...]]:
        """Lease the portal and return rows of its due jobs, in one transaction;
        no rows, and no lease, when another owner holds it or nothing is due."""
        with self._file.transaction() as db:
            if db.execute(_LEASED_BY_OTHER, (member_id, owner, now)).fetchone():
                return []

            rows = db.execute(_DUE_JOBS, (member_id, now, limit)).fetchall()
            if rows:
                db.execute(_TAKE_LEASE, (member_id, owner, expires_at))

        return rows


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_versions"
        " (component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL)"
    )
    version = _schema_version(db)
    if version > SCHEMA_VERSION:
        raise StorageUnavailable(
            f"{path} has inbox schema version {version};"
            f" this code knows {SCHEMA_VERSION}"
        )

    for number, statements in enumerate(_MIGRATIONS[version:], start=version + 1):
        for statement in statements:
            db.execute(statement)
        db.execute(
            "INSERT INTO schema_versions (component, version) VALUES (?, ?)"
            " ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            (COMPONENT, number),
        )
        logger.info("sqlite inbox schema migrated path=%s version=%d", path, number)


def _schema_version(db: sqlite3.Connection) -> int:
    row = db.execute(
        "SELECT version FROM schema_versions WHERE component = ?", (COMPONENT,)
    ).fetchone()
    return 0 if row is None else int(row[0])


def _identity(job: ContactJob) -> dict[str, Any]:
    return {
        "member_id": job.member_id,
        "contact_id": job.contact_id,
        "created_at": to_millis(job.created_at),
    }


def _job_from_row(row: tuple[Any, ...]) -> ContactJob:
    member_id, contact_id, state, revision, attempts, due_at, created_at, error = row
    return ContactJob(
        member_id=member_id,
        contact_id=contact_id,
        revision=revision,
        attempts=attempts,
        state=_state(state),
        due_at=from_millis(due_at),
        created_at=from_millis(created_at),
        last_error=error,
    )


def _state(value: object) -> JobState:
    try:
        return JobState(str(value))
    except ValueError as exc:
        raise StorageUnavailable(f"a stored job has unknown state {value!r}") from exc
