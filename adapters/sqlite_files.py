"""Connections to one SQLite file, shared by threads and by processes on a machine.

Each thread keeps one connection of its own, opened on first use: opening one per
operation costs more than most operations do. The file runs in WAL mode, so
readers never wait for the writer, and a busy timeout makes a writer wait for the
lock another process holds instead of failing. Every `sqlite3.Error` is raised as
`StorageUnavailable` with the driver's error as its cause.
"""

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from application.errors import StorageUnavailable

logger = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT = 10.0


def _create_private(path: Path) -> None:
    """Create the folder (0700) and the file (0600) if missing.

    The file holds tokens, sealed or not, and its journal files take its mode,
    so nobody but the service's user may read it.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(descriptor)
    except OSError as exc:
        raise StorageUnavailable(f"cannot create the database file {path}") from exc


class SqliteFile:
    """The SQLite file at `path`, its folders created, in WAL mode.

    With `sync_each_commit` every commit waits until the disk holds it, so it
    survives the machine losing power; without, commits still survive the process
    crashing, and cost a tenth. Raises `StorageUnavailable` when the folder cannot
    be made or the file opened.
    """

    def __init__(
        self,
        path: Path,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        sync_each_commit: bool = True,
    ) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._synchronous = "FULL" if sync_each_commit else "NORMAL"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: dict[sqlite3.Connection, threading.Thread] = {}
        self._pid = os.getpid()

        _create_private(path)
        self._use_wal()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, in autocommit mode.

        A connection that raised is closed, so the next use starts afresh.
        """
        db = self._thread_connection()
        try:
            yield db
        except sqlite3.Error as exc:
            self._discard(db)
            raise unavailable(self.path, exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside `BEGIN IMMEDIATE`, committed on leaving.

        The write lock is taken first, so the transaction never fails half-way for
        a writer that came between its reads and its writes. Anything raised inside
        rolls the transaction back.
        """
        with self.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close every connection; a thread that uses the file again opens anew."""
        with self._lock:
            connections, self._open = list(self._open), {}

        for db in connections:
            db.close()

    def _use_wal(self) -> None:
        # WAL is a property of the file: once set, every connection uses it.
        with self.connection() as db:
            mode = _switch_to_wal(db, self._busy_timeout)

        if mode != "wal":
            logger.warning("sqlite without WAL path=%s mode=%s", self.path, mode)

    def _thread_connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        with self._lock:
            self._forget_other_process()
            if db is not None and db in self._open:
                return db

        db = self._connect()
        self._local.db = db
        return db

    def _connect(self) -> sqlite3.Connection:
        try:
            # Each connection stays in one thread; it is closed by others only
            # once that thread has ended, or by `close`.
            db = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            # A constant of this module: PRAGMA takes no parameters.
            db.execute(f"PRAGMA synchronous = {self._synchronous}")
        except sqlite3.Error as exc:
            raise unavailable(self.path, exc) from exc

        for finished in self._adopt(db):
            finished.close()
        return db

    def _adopt(self, db: sqlite3.Connection) -> list[sqlite3.Connection]:
        """Record `db` as this thread's; return those of threads that have ended."""
        with self._lock:
            finished = [old for old, user in self._open.items() if not user.is_alive()]
            for old in finished:
                del self._open[old]
            self._open[db] = threading.current_thread()

        return finished

    def _discard(self, db: sqlite3.Connection) -> None:
        with self._lock:
            self._open.pop(db, None)

        try:
            db.close()
        except sqlite3.Error:
            logger.debug("sqlite close failed path=%s", self.path)

    def _forget_other_process(self) -> None:
        # A forked child must not use its parent's connections, nor close them.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._open = {}


def _switch_to_wal(db: sqlite3.Connection, patience: float) -> str:
    """Put the file in WAL mode unless it is; return the journal mode it ends in.

    The switch needs the file to itself and SQLite does not wait for that (the busy
    timeout does not apply), so a busy file is tried again until `patience` runs out.
    """
    give_up = time.monotonic() + patience
    while True:
        try:
            (mode,) = db.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                (mode,) = db.execute("PRAGMA journal_mode = WAL").fetchone()
            return str(mode).lower()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > give_up:
                raise
        time.sleep(0.01)


def _is_busy(exc: sqlite3.Error) -> bool:
    # Extended codes (busy recovery, busy snapshot) keep the primary in the low byte.
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def unavailable(path: Path, exc: sqlite3.Error) -> StorageUnavailable:
    """The `StorageUnavailable` to raise for a driver error on the file at `path`."""
    logger.warning("sqlite failed path=%s error=%s", path, type(exc).__name__)
    # SQLite's messages never quote bound values, so no token can reach them.
    return StorageUnavailable(f"SQLite store {path} failed: {exc}")
