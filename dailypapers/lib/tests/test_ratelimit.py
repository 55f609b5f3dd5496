from dailypapers.lib.ratelimit import hit


def test_it_allows_up_to_the_limit_then_refuses_until_the_window_turns():
    verdicts = [hit("login", "10.0.0.1", limit=3, window=60, now=1000.0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert verdicts[-1].retry_after == 20  # window [960, 1020)
    assert verdicts[-1].headers()["Retry-After"] == "20"
    assert "Retry-After" not in verdicts[0].headers()
    assert hit("login", "10.0.0.1", limit=3, window=60, now=1020.0).allowed


def test_buckets_and_clients_count_apart():
    for _ in range(3):
        hit("vote", "alice", limit=3, window=60, now=0.0)
    assert not hit("vote", "alice", limit=3, window=60, now=1.0).allowed
    assert hit("vote", "bob", limit=3, window=60, now=1.0).allowed
    assert hit("login", "alice", limit=3, window=60, now=1.0).allowed
