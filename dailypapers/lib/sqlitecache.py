"""A Django cache in one SQLite file, shared by every process of one node.

The cache all web processes share on one machine (page versions, rate-limit counters, memos). Django's
file-based cache lists its whole directory on every write to decide what to cull, and has no atomic
increment; here a write is one statement in a WAL database, and ``incr``/``add`` are atomic, so two
processes counting the same request never lose a count. Expired rows are deleted every
``CULL_EVERY`` writes of a process. It is a cache: durability is traded for speed (synchronous=OFF).
"""

import pickle
import sqlite3
import threading
import time
from pathlib import Path

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

CULL_EVERY = 1000  # writes of one process between two deletions of expired rows
FOREVER = float("inf")
SCHEMA = "CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value, expires REAL NOT NULL) WITHOUT ROWID"


class SQLiteCache(BaseCache):
    """``LOCATION`` is the database file; integers are stored as such so that ``incr`` is one UPDATE."""

    def __init__(self, location, params):
        super().__init__(params)
        self.path = Path(location)
        self.local = threading.local()
        self.writes = 0

    @property
    def db(self):
        if (connection := getattr(self.local, "connection", None)) is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(SCHEMA)
            self.local.connection = connection
        return connection

    def _expiry(self, timeout):
        expires = self.get_backend_timeout(timeout)  # Django's: an absolute time, None for never
        return FOREVER if expires is None else expires

    def _written(self):
        self.writes += 1
        if self.writes % CULL_EVERY == 0:
            self.db.execute("DELETE FROM cache WHERE expires <= ?", (time.time(),))

    def get(self, key, default=None, version=None):
        return self.get_many([key], version=version).get(key, default)

    def get_many(self, keys, version=None):
        names = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not names:
            return {}
        marks = ",".join("?" * len(names))
        rows = self.db.execute(f"SELECT key, value FROM cache WHERE key IN ({marks}) AND expires > ?",  # noqa: S608
                               [*names, time.time()])
        return {names[name]: _load(value) for name, value in rows}

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self.set_many({key: value}, timeout=timeout, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        expires = self._expiry(timeout)
        rows = [(self.make_and_validate_key(key, version=version), _dump(value), expires)
                for key, value in data.items()]
        self.db.executemany("INSERT OR REPLACE INTO cache (key, value, expires) VALUES (?, ?, ?)", rows)
        self._written()
        return []

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """Store ``value`` unless the key holds an unexpired one; whether it was stored. Atomic."""
        name, now = self.make_and_validate_key(key, version=version), time.time()
        added = self.db.execute(
            "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, expires = excluded.expires WHERE cache.expires <= ?",
            (name, _dump(value), self._expiry(timeout), now)).rowcount == 1
        self._written()
        return added

    def incr(self, key, delta=1, version=None):
        """Add ``delta`` in one statement (atomic across processes); ValueError if the key is missing."""
        name = self.make_and_validate_key(key, version=version)
        row = self.db.execute("UPDATE cache SET value = value + ? WHERE key = ? AND expires > ? "
                              "AND typeof(value) = 'integer' RETURNING value", (delta, name, time.time())).fetchone()
        if row is None:
            raise ValueError(f"Key '{key}' not found")
        return row[0]

    def count_window(self, keys, timeout):
        """Count one more in the last of ``keys`` (created for ``timeout`` s) and read the others: a
        rate limit's slots (lib/ratelimit.py), in one transaction."""
        names, now = [self.make_and_validate_key(key) for key in keys], time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            current = self.db.execute(
                "INSERT INTO cache (key, value, expires) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET "
                "value = CASE WHEN cache.expires > ? AND typeof(cache.value) = 'integer' THEN cache.value + 1 "
                "ELSE 1 END, expires = CASE WHEN cache.expires > ? THEN cache.expires ELSE excluded.expires END "
                "RETURNING value", (names[-1], now + timeout, now, now)).fetchone()[0]
            marks = ",".join("?" * (len(names) - 1))
            found = dict(self.db.execute(f"SELECT key, value FROM cache WHERE key IN ({marks}) AND expires > ?",  # noqa: S608
                                         [*names[:-1], now]))
        self._written()
        return [found.get(name, 0) for name in names[:-1]] + [current]

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        name = self.make_and_validate_key(key, version=version)
        return self.db.execute("UPDATE cache SET expires = ? WHERE key = ? AND expires > ?",
                               (self._expiry(timeout), name, time.time())).rowcount == 1

    def delete(self, key, version=None):
        name = self.make_and_validate_key(key, version=version)
        return self.db.execute("DELETE FROM cache WHERE key = ?", (name,)).rowcount == 1

    def has_key(self, key, version=None):
        return bool(self.get_many([key], version=version))

    def clear(self):
        self.db.execute("DELETE FROM cache")

    def close(self, **kwargs):
        pass  # one connection per thread for the life of the process: reopening costs more than it saves


def _dump(value):
    # bool is an int: keep it pickled, so it comes back a bool
    return value if type(value) is int else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _load(value):
    return value if isinstance(value, int) else pickle.loads(value)  # noqa: S301 - our own writes only
