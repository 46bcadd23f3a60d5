"""A `TokenRepository` in an embedded SQLite file, the default store.

Each operation opens its own short-lived connection, so the repository can be
shared by threads, and several processes on one machine can use the same file:
the database runs in WAL mode and waits on a busy timeout instead of failing when
another writer holds the lock. Each portal is one row holding the JSON document
built by `adapters.records`. The schema version lives in `PRAGMA user_version`
and the statements in `_MIGRATIONS` bring an older file up to date.
"""

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.records import portal_from_record, portal_to_record
from application.errors import StorageUnavailable
from application.ports import TokenRepository
from domain.portal import Portal

logger = logging.getLogger(__name__)

#: Each entry moves the schema one version up; its index + 1 is the version it makes.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE portals (
            member_id TEXT PRIMARY KEY NOT NULL,
            document TEXT NOT NULL
        )
        """,
    ),
)

SCHEMA_VERSION = len(_MIGRATIONS)

DEFAULT_BUSY_TIMEOUT = 10.0


class SqliteTokenRepository(TokenRepository):
    """Portals in the SQLite file at `path`; missing parent folders are created.

    Opening migrates the file to `SCHEMA_VERSION` and refuses a file written by a
    newer version. Every failure of the database is raised as `StorageUnavailable`.
    """

    def __init__(self, path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self._path = path
        self._busy_timeout = busy_timeout

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot create the folder of {path}") from exc
        self._prepare()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._path)!r})"

    def get(self, member_id: str) -> Portal | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT document FROM portals WHERE member_id = ?", (member_id,)
            ).fetchone()

        return None if row is None else _portal_from_row(row)

    def save(self, portal: Portal) -> None:
        document = _document_of(portal)

        with self._connection() as db:
            db.execute(
                "INSERT INTO portals (member_id, document) VALUES (?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET document = excluded.document",
                (portal.member_id, document),
            )

    def delete(self, member_id: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM portals WHERE member_id = ?", (member_id,))

    def list(self) -> list[Portal]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT document FROM portals ORDER BY member_id"
            ).fetchall()

        return [_portal_from_row(row) for row in rows]

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self._connection() as db:
            return _user_version(db)

    def _prepare(self) -> None:
        with self._connection() as db:
            # WAL is a property of the file: once set, every connection uses it.
            (mode,) = db.execute("PRAGMA journal_mode = WAL").fetchone()
            if str(mode).lower() != "wal":
                logger.warning("sqlite without WAL path=%s mode=%s", self._path, mode)

            # The write lock makes processes that open the file together migrate
            # it once; leaving without COMMIT closes the connection, rolling back.
            db.execute("BEGIN IMMEDIATE")
            _migrate(db, self._path)
            db.execute("COMMIT")

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode, closed on leaving.

        Every `sqlite3.Error` inside is raised as `StorageUnavailable`.
        """
        try:
            db = sqlite3.connect(
                self._path, timeout=self._busy_timeout, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise _unavailable(self._path, exc) from exc

        try:
            yield db
        except sqlite3.Error as exc:
            raise _unavailable(self._path, exc) from exc
        finally:
            db.close()


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = _user_version(db)
    if version > SCHEMA_VERSION:
        raise StorageUnavailable(
            f"{path} has schema version {version}; this code knows {SCHEMA_VERSION}"
        )

    for number, statements in enumerate(_MIGRATIONS[version:], start=version + 1):
        for statement in statements:
            db.execute(statement)
        # PRAGMA takes no parameters; `number` is an int from this module.
        db.execute(f"PRAGMA user_version = {number:d}")
        logger.info("sqlite schema migrated path=%s version=%d", path, number)


def _user_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    return int(version)


def _unavailable(path: Path, exc: sqlite3.Error) -> StorageUnavailable:
    logger.warning("sqlite failed path=%s error=%s", path, type(exc).__name__)
    # SQLite's messages never quote bound values, so no token can reach them.
    return StorageUnavailable(f"SQLite store {path} failed: {exc}")


def _document_of(portal: Portal) -> str:
    return json.dumps(portal_to_record(portal), default=_json_default, sort_keys=True)


def _json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _portal_from_row(row: tuple[Any, ...]) -> Portal:
    try:
        record = json.loads(row[0])
    except (TypeError, ValueError) as exc:
        raise StorageUnavailable("a stored portal is not a JSON document") from exc

    if not isinstance(record, dict):
        raise StorageUnavailable("a stored portal is not a JSON object")
    return portal_from_record(record)
