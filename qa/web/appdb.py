"""The app's own database: the collections and the saved chats, in one SQLite file (standard library only).

Default ``<index folder>/qa.sqlite3`` (``--db`` / ``QA_DB``). WAL mode, so the web app and the CLI can use it at
once and readers never wait for a writer; foreign keys on; ``synchronous=NORMAL`` (a power cut may lose the
last committed chat turn, never the file). The schema is versioned with ``PRAGMA user_version`` and migrated
forward when opened, in one transaction per step; a file written by a newer qa is refused, never altered.
No Gradio here (``qa.cli`` uses it too).
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DB_FILE = "qa.sqlite3"
DEFAULT_COLLECTION = "default"  # the id (and first name) of the collection kept in the index folder itself

# Each step takes the schema from version i to i + 1 (index i). Never edit a released step: add one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # folder: the collection's index folder under <index>/collections/ ('' = the index folder itself)
        "CREATE TABLE collections (id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL UNIQUE, "
        "folder TEXT NOT NULL UNIQUE, created TEXT NOT NULL)",
        f"INSERT INTO collections VALUES ('{DEFAULT_COLLECTION}', '{DEFAULT_COLLECTION}', "
        f"'{DEFAULT_COLLECTION}', '', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
        # owner: the QA_AUTH user name ('' without a login); collection_name: shown once the collection is gone
        "CREATE TABLE chats (id TEXT PRIMARY KEY, owner TEXT NOT NULL, "
        "collection_id TEXT REFERENCES collections(id) ON DELETE SET NULL, collection_name TEXT NOT NULL, "
        "title TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)",
        "CREATE INDEX chats_by_owner ON chats (owner, updated DESC)",
        # answer: the Answer record as JSON (its quotes, documents and offsets: readable without the index)
        "CREATE TABLE turns (chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE, "
        "position INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, k INTEGER NOT NULL, "
        "doc_ids TEXT, created TEXT NOT NULL, PRIMARY KEY (chat_id, position))",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseError(ValueError):
    """The database file cannot be used; the message names the file and the problem."""


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_db_path(index_dir: Path) -> Path:
    """``QA_DB`` if set, else ``<index_dir>/qa.sqlite3``."""
    value = os.environ.get("QA_DB")
    return Path(value).expanduser() if value else Path(index_dir) / DB_FILE


class AppDB:
    """One connection to the database file, shared by the app's threads (a lock serialises its use; every
    statement is short)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as e:
            raise DatabaseError(f"{self.path}: cannot open the database ({e})") from None
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute("PRAGMA busy_timeout = 10000")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("%s: WAL mode not available here (journal mode %s)", self.path, mode)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            self._conn.close()
            raise DatabaseError(f"{self.path}: not a usable qa database ({e})") from None
        except DatabaseError:
            self._conn.close()
            raise

    # ------------------------------------------------------------------------------ schema
    @property
    def version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > SCHEMA_VERSION:
            raise DatabaseError(f"{self.path}: written by a newer qa (schema {current}; this qa knows up to "
                                f"{SCHEMA_VERSION}); upgrade qa or use another --db")
        for version in range(current, SCHEMA_VERSION):
            with self.transaction() as conn:
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) != version:
                    continue  # another process migrated it meanwhile
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            logger.info("%s: schema %d -> %d", self.path, version, version + 1)

    # ------------------------------------------------------------------------------ use
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def meta(self, key: str, make: Any) -> str:
        """The stored value of ``key``, created once with ``make()`` (e.g. a random secret)."""
        with self.transaction() as conn:
            found = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if found:
                return str(found[0])
            value = str(make())
            conn.execute("INSERT INTO meta VALUES (?, ?)", (key, value))
            return value

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


__all__ = ["DB_FILE", "DEFAULT_COLLECTION", "SCHEMA_VERSION", "AppDB", "DatabaseError", "default_db_path",
           "utcnow"]
