import warnings

import time_machine
from django.core.cache import caches

from dailypapers.lib import ratelimit


def hit(*args, now, **kwargs):
    """ratelimit.hit at the Unix time ``now``."""
    with time_machine.travel(now, tick=False):
        return ratelimit.hit(*args, **kwargs)


def test_it_allows_up_to_the_limit_then_refuses_until_the_requests_leave_the_window():
    verdicts = [hit("login", "10.0.0.1", limit=3, window=60, now=1000.0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    # Slots of 10 s: the requests of [1000, 1010) count until 1070, when the window has moved past them.
    assert verdicts[-1].retry_after == 70
    assert verdicts[-1].headers()["Retry-After"] == "70"
    assert "Retry-After" not in verdicts[0].headers()
    assert not hit("login", "10.0.0.1", limit=3, window=60, now=1065.0).allowed
    assert hit("login", "10.0.0.1", limit=3, window=60, now=1070.0).allowed


def test_it_lets_no_more_than_the_limit_through_across_a_window_boundary():
    # 125 requests in 25 s, from 12.5 s before a minute turns: a fixed one-minute window let all through.
    times = [1047.5 + i * 0.2 for i in range(125)]
    allowed = [t for t in times if hit("vote", "alice", limit=120, window=60, now=t).allowed]
    assert len(allowed) == 120
    for start in allowed:  # and no stretch of 60 s holds more than 120
        assert sum(start <= t < start + 60 for t in allowed) <= 120


def test_buckets_and_clients_count_apart():
    for _ in range(3):
        hit("vote", "alice", limit=3, window=60, now=0.0)
    assert not hit("vote", "alice", limit=3, window=60, now=1.0).allowed
    assert hit("vote", "bob", limit=3, window=60, now=1.0).allowed
    assert hit("login", "alice", limit=3, window=60, now=1.0).allowed


def test_an_uncounted_ceiling_slows_a_caller_without_shutting_it_out():
    # Pushed every second for ten minutes, a ceiling of 6 a minute that counts refusals stays shut; one
    # that does not admits its limit again as soon as the earlier requests leave the window (60 s, plus
    # up to one 10 s slot).
    allowed = [t for t in range(2000, 2600) if hit("acct", "7", limit=6, window=60, now=t,
                                                    count_refused=False).allowed]
    assert len(allowed) == 6 * 9 and max(b - a for a, b in zip(allowed, allowed[1:], strict=False)) <= 70
    for start in allowed:
        assert sum(start <= t < start + 60 for t in allowed) <= 6
    shut = [t for t in range(3000, 3600) if hit("acct", "8", limit=6, window=60, now=t).allowed]
    assert shut == list(range(3000, 3006))


def test_it_counts_any_text_as_an_ident_within_a_cache_keys_rules(settings):
    # Memcached refuses keys with spaces or control characters, or over 250 characters: the typed name
    # of a log-in may be anything, so such idents are counted under a hash of themselves.
    settings.CACHES = {**settings.CACHES, "shared": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit-keys"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django warns about keys memcached would refuse
        for ident in ["name:a b", "name:\x01", "name:" + "x" * 400]:
            assert [hit("login", ident, limit=1, window=60, now=5.0).allowed for _ in range(2)] == [True, False]
    caches["shared"].clear()
