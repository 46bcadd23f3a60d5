"""A `TokenRepository` in an embedded SQLite file, the default store.

Connections come from `adapters.sqlite_files`: one per thread, WAL mode and a busy
timeout, so threads and several processes on one machine can share the file. Each
portal is one row holding the JSON document built by `adapters.records`. The
schema version lives in `PRAGMA user_version` and the statements in `_MIGRATIONS`
bring an older file up to date.
"""

import json
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.records import (
    REFRESH_DIGEST_FIELD,
    portal_from_record,
    portal_to_record,
    refresh_token_digest,
)
from adapters.sealing import NO_SEALING, Sealer
from adapters.sqlite_files import DEFAULT_BUSY_TIMEOUT, SqliteFile
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

#: A document written before digests were kept holds its refresh token in plain,
#: so it is compared as it is.
_COMPARE_AND_SAVE = """
    UPDATE portals SET document = :document
    WHERE member_id = :member_id AND (
        json_extract(document, :digest_path) = :digest
        OR (json_extract(document, :digest_path) IS NULL
            AND json_extract(document, '$.refresh_token') = :expected)
    )
"""

_DIGEST_PATH = f"$.{REFRESH_DIGEST_FIELD}"


class SqliteTokenRepository(TokenRepository):
    """Portals in the SQLite file at `path`; missing parent folders are created.

    Opening migrates the file to `SCHEMA_VERSION` and refuses a file written by a
    newer version. Every failure of the database is raised as `StorageUnavailable`.
    """

    def __init__(
        self,
        path: Path,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        sealer: Sealer = NO_SEALING,
    ) -> None:
        self._file = SqliteFile(path, busy_timeout)
        self._sealer = sealer
        self._migrate()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._file.path)!r})"

    def close(self) -> None:
        """Close the connections of every thread; later calls open new ones."""
        self._file.close()

    def get(self, member_id: str) -> Portal | None:
        with self._file.connection() as db:
            row = db.execute(
                "SELECT document FROM portals WHERE member_id = ?", (member_id,)
            ).fetchone()

        return None if row is None else _portal_from_row(row, self._sealer)

    def save(self, portal: Portal) -> None:
        document = _document_of(portal, self._sealer)

        with self._file.connection() as db:
            db.execute(
                "INSERT INTO portals (member_id, document) VALUES (?, ?)"
                " ON CONFLICT (member_id) DO UPDATE SET document = excluded.document",
                (portal.member_id, document),
            )

    def save_if_refresh_token(self, portal: Portal, expected: str) -> bool:
        terms = {
            "document": _document_of(portal, self._sealer),
            "member_id": portal.member_id,
            "digest_path": _DIGEST_PATH,
            "digest": refresh_token_digest(expected),
            "expected": expected,
        }

        # One statement is one transaction: the compare and the write are atomic.
        with self._file.connection() as db:
            cursor = db.execute(_COMPARE_AND_SAVE, terms)

        return cursor.rowcount == 1

    def delete(self, member_id: str) -> None:
        with self._file.connection() as db:
            db.execute("DELETE FROM portals WHERE member_id = ?", (member_id,))

    def list(self) -> list[Portal]:
        with self._file.connection() as db:
            rows = db.execute(
                "SELECT document FROM portals ORDER BY member_id"
            ).fetchall()

        return [_portal_from_row(row, self._sealer) for row in rows]

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self._file.connection() as db:
            return _user_version(db)

    def _migrate(self) -> None:
        # The write lock makes processes that open the file together migrate it once.
        with self._file.transaction() as db:
            _migrate(db, self._file.path)


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


def _document_of(portal: Portal, sealer: Sealer) -> str:
    record = portal_to_record(portal, sealer)
    return json.dumps(record, default=_json_default, sort_keys=True)


def _json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _portal_from_row(row: tuple[Any, ...], sealer: Sealer) -> Portal:
    try:
        record = json.loads(row[0])
    except (TypeError, ValueError) as exc:
        raise StorageUnavailable("a stored portal is not a JSON document") from exc

    if not isinstance(record, dict):
        raise StorageUnavailable("a stored portal is not a JSON object")
    return portal_from_record(record, sealer)
