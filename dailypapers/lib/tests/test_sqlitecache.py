"""The one-node shared cache: Django's cache contract, and counts that no two processes lose."""

import multiprocessing
import os
import time

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from dailypapers.lib.sqlitecache import SQLiteCache


@pytest.fixture
def cache(tmp_path):
    return SQLiteCache(str(tmp_path / "cache.sqlite3"), {})


def test_it_keeps_values_until_they_expire(cache):
    cache.set_many({"page": {"html": b"<p>&</p>"}, "n": 3, "flag": True}, timeout=60)
    cache.set("forever", "v", timeout=None)
    assert cache.get_many(["page", "n", "flag", "none"]) == {"page": {"html": b"<p>&</p>"}, "n": 3, "flag": True}
    assert cache.get("flag") is True and cache.get("none", "default") == "default"
    with time_machine.travel(time.time() + 61):
        assert cache.get("page") is None and cache.get("forever") == "v"


def test_add_stores_only_where_nothing_lives(cache):
    assert cache.add("k", 1, timeout=10) and not cache.add("k", 2, timeout=10)
    assert cache.get("k") == 1
    with time_machine.travel(time.time() + 11):
        assert cache.add("k", 5, timeout=10) and cache.get("k") == 5


def test_incr_counts_and_refuses_a_missing_key(cache):
    cache.add("c", 0, timeout=60)
    assert [cache.incr("c") for _ in range(3)] == [1, 2, 3] and cache.incr("c", 10) == 13
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert cache.delete("c") and not cache.has_key("c")
    cache.set("t", 1, timeout=60)
    assert cache.touch("t", timeout=None) and not cache.touch("missing")
    cache.clear()
    assert cache.get("t") is None


def _count(path, times):
    cache = SQLiteCache(path, {})
    for _ in range(times):
        cache.add("hits", 0, timeout=60)
        cache.incr("hits")


def test_processes_counting_at_once_lose_no_count(tmp_path):
    path = str(tmp_path / "cache.sqlite3")
    workers = [multiprocessing.get_context("spawn").Process(target=_count, args=(path, 200)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert SQLiteCache(path, {}).get("hits") == 600


def test_the_suite_counts_in_the_cache_it_was_given():
    """The PostgreSQL pass of `make test` runs on Redis (scripts/with-redis), the SQLite pass on this."""
    expected = RedisCache if os.environ.get("CACHE_URL", "").startswith("redis") else SQLiteCache
    assert isinstance(caches["shared"], expected)


def _count_windows(path, times):
    cache = SQLiteCache(path, {})
    for _ in range(times):
        cache.count_window(["slot:1", "slot:2"], timeout=60)


def test_a_rate_limit_window_is_counted_and_read_in_one_go(tmp_path):
    path = str(tmp_path / "cache.sqlite3")
    cache = SQLiteCache(path, {})
    cache.add("slot:1", 0, timeout=60)
    cache.incr("slot:1", 4)
    assert cache.count_window(["slot:1", "slot:2"], timeout=60) == [4, 1]
    workers = [multiprocessing.get_context("spawn").Process(target=_count_windows, args=(path, 100)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert cache.count_window(["slot:1", "slot:2"], timeout=60) == [4, 302]
