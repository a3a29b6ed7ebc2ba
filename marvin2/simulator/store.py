"""The simulator's state: a small document store on SQLite (stdlib only).

Every kind of resource ("zone", "account", "virtualmachine", ...) gets its own
table ``t_<kind>`` holding ``seq`` (insertion order, what lists sort by), the
resource ``id`` (a UUID) and ``data``: the row as JSON. Rows are plain dicts.
Tables are created on first use, so a new API module needs no schema code; see
HANDLERS.md for the kinds the seed fills and the fields other modules read.

Concurrency: one connection guarded by one re-entrant lock. The server runs
each request inside ``transaction()`` (commit on success, rollback when the
handler raises), and the job engine does the same for each job step, so a
request never sees another one half-done. Simple and fast enough: the
requests are tiny and SQLite commits in WAL mode without fsync.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from marvin2 import wire

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def new_uuid() -> str:
    return str(uuid.uuid4())


class Store:
    """SQLite-backed rows; ``path`` is a file name or ``":memory:"``."""

    def __init__(self, path: str = ":memory:"):
        self.path = path
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL" if path != ":memory:" else "PRAGMA journal_mode=MEMORY")
        # Durability across a clean stop is enough for a test server; no fsync per request.
        self._conn.execute("PRAGMA synchronous=OFF")
        self._tables: set[str] = set()
        self._depth = 0
        self._load_tables()

    def _load_tables(self) -> None:
        rows = self._conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 't\\_%' ESCAPE '\\'")
        self._tables = {name[2:] for (name,) in rows}

    # --- transactions -------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Hold the lock and run the block atomically (nested calls join the outer one)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                self._load_tables()       # tables created in the rolled-back transaction are gone
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    # --- schema -----------------------------------------------------------------------

    def _table(self, kind: str) -> str:
        if kind not in self._tables:
            if not _KIND.match(kind):
                raise ValueError(f"invalid store kind {kind!r}: use lower-case letters, digits and _")
            with self.lock:
                self._conn.execute(
                    f'CREATE TABLE IF NOT EXISTS "t_{kind}" (seq INTEGER PRIMARY KEY AUTOINCREMENT, '
                    "id TEXT UNIQUE NOT NULL, data TEXT NOT NULL)"
                )
                self._tables.add(kind)
        return f'"t_{kind}"'

    def index(self, kind: str, field: str) -> None:
        """Index a JSON field for fast equality look-ups (e.g. user.apikey)."""
        if not _FIELD.match(field):
            raise ValueError(f"invalid field name {field!r}")
        table = self._table(kind)
        with self.lock:
            self._conn.execute(
                f'CREATE INDEX IF NOT EXISTS "i_{kind}_{field.replace(".", "_")}" ON {table} '
                f"(json_extract(data, '$.{field}'))"
            )

    def kinds(self) -> list[str]:
        return sorted(self._tables)

    # --- rows ---------------------------------------------------------------------------

    def insert(self, kind: str, row: dict[str, Any]) -> dict[str, Any]:
        """Store a new row; fills ``id`` (UUID) and ``created`` when absent. Returns the row."""
        row = dict(row)
        row.setdefault("id", new_uuid())
        row.setdefault("created", wire.now_text())
        table = self._table(kind)
        with self.lock:
            self._conn.execute(f"INSERT INTO {table} (id, data) VALUES (?, ?)", (row["id"], json.dumps(row)))
        return row

    def insert_many(self, kind: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``insert`` for many rows in one statement (a fresh database's catalogues); returns the rows."""
        stamp = wire.now_text()
        prepared = []
        for row in rows:
            row = dict(row)
            if "id" not in row:          # (setdefault would make a UUID for every row)
                row["id"] = new_uuid()
            row.setdefault("created", stamp)
            prepared.append(row)
        table = self._table(kind)
        with self.lock:
            self._conn.executemany(f"INSERT INTO {table} (id, data) VALUES (?, ?)",
                                   [(row["id"], json.dumps(row)) for row in prepared])
        return prepared

    def get(self, kind: str, row_id: str | None) -> dict[str, Any] | None:
        if not row_id:
            return None
        table = self._table(kind)
        with self.lock:
            found = self._conn.execute(f"SELECT data FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return json.loads(found[0]) if found else None

    def get_by_internal_id(self, kind: str, number: int) -> dict[str, Any] | None:
        """The row whose insertion number is ``number`` (1 for the first row of a kind): what a real server's
        numeric internal id is, for the old uuid parameters that also take one."""
        table = self._table(kind)
        with self.lock:
            found = self._conn.execute(f"SELECT data FROM {table} WHERE seq = ?", (number,)).fetchone()
        return json.loads(found[0]) if found else None

    def internal_id_of(self, kind: str, row_id: str) -> int | None:
        """The insertion number of a row (see ``get_by_internal_id``), None when there is no such row."""
        table = self._table(kind)
        with self.lock:
            found = self._conn.execute(f"SELECT seq FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return int(found[0]) if found else None

    def update(self, kind: str, row_id: str, /, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into a row (a value of None removes the field). Returns the new row."""
        table = self._table(kind)
        with self.lock:
            row = self.get(kind, row_id)
            if row is None:
                raise KeyError(f"no {kind} with id {row_id}")
            for key, value in changes.items():
                if value is None:
                    row.pop(key, None)
                else:
                    row[key] = value
            self._conn.execute(f"UPDATE {table} SET data = ? WHERE id = ?", (json.dumps(row), row_id))
        return row

    def put(self, kind: str, row: dict[str, Any]) -> dict[str, Any]:
        """Replace a whole row (must exist)."""
        table = self._table(kind)
        with self.lock:
            self._conn.execute(f"UPDATE {table} SET data = ? WHERE id = ?", (json.dumps(row), row["id"]))
        return row

    def delete(self, kind: str, row_id: str) -> bool:
        table = self._table(kind)
        with self.lock:
            cursor = self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        return cursor.rowcount > 0

    def find(self, kind: str, /, **equal: Any) -> list[dict[str, Any]]:
        """Rows whose fields equal the given values (None matches a missing field), in insertion order."""
        table = self._table(kind)
        clauses, args = [], []
        for field, value in equal.items():
            if not _FIELD.match(field):
                raise ValueError(f"invalid field name {field!r}")
            if field == "id":
                clauses.append("id = ?")
                args.append(value)
            elif value is None:
                clauses.append(f"json_extract(data, '$.{field}') IS NULL")
            else:
                clauses.append(f"json_extract(data, '$.{field}') = ?")
                args.append(_sql_value(value))
        sql = f"SELECT data FROM {table}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY seq"
        with self.lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def find_one(self, kind: str, /, **equal: Any) -> dict[str, Any] | None:
        rows = self.find(kind, **equal)
        return rows[0] if rows else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        return self.find(kind)

    def count(self, kind: str, /, **equal: Any) -> int:
        return len(self.find(kind, **equal))

    def delete_where(self, kind: str, /, **equal: Any) -> int:
        rows = self.find(kind, **equal)
        for row in rows:
            self.delete(kind, row["id"])
        return len(rows)

    # --- small key/value area for server-wide facts (schema version, ...) ---

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.get("meta", key)
        return row["value"] if row else default

    def set_meta(self, key: str, value: Any) -> None:
        if self.get("meta", key) is None:
            self.insert("meta", {"id": key, "value": value})
        else:
            self.update("meta", key, value=value)

    def iter_ids(self, kind: str) -> Iterable[str]:
        table = self._table(kind)
        with self.lock:
            return [r[0] for r in self._conn.execute(f"SELECT id FROM {table} ORDER BY seq")]


def _sql_value(value: Any) -> Any:
    # json_extract returns 1/0 for JSON booleans.
    if isinstance(value, bool):
        return 1 if value else 0
    return value
