"""``dailypapers serve`` as deployed keeps answering while hundreds of clients idle or trickle headers."""

import threading
import time

import pytest

from .server import Attack, free_port, read_until_warm, start_serve, timed_get

ATTACK_SECONDS = 15  # past gunicorn's own 5 s wait for a first byte and the front's 10 s header timeout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    port = free_port()
    # Fewer threads than the defaults (5 workers x 4 on 2 cores): a starved pool shows sooner.
    process = start_serve(tmp_path_factory.mktemp("home"), port, "--workers", "2", "--threads", "2")
    try:
        read_until_warm(process, 2)
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep its pipe from filling
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_it_answers_within_a_second_while_hundreds_idle_and_trickle(site):
    slowest = {"/healthz": 0.0, "/": 0.0}
    with Attack(site, idle=500, slow=50) as attack:
        deadline = time.monotonic() + ATTACK_SECONDS
        while time.monotonic() < deadline:
            for path in slowest:
                status, seconds = timed_get(site, path)
                assert status == 200
                slowest[path] = max(slowest[path], seconds)
            time.sleep(0.1)
        assert attack.reopened > 0  # the front cut the tricklers off (header timeout), they came back
    assert slowest["/healthz"] < 1 and slowest["/"] < 1, slowest


EMOJI = "%F0%9F%98%80"  # one 4-byte character, percent-encoded


@pytest.mark.parametrize("path", ["/api/v1/search?q=" + EMOJI * 10_000, "/api/papers/search?q=" + EMOJI * 1000])
def test_the_longest_search_url_the_api_documents_is_answered(site, path):
    """/api/v1 searches up to 10,000 characters and HF's route up to 1,000: each 4-byte character
    percent-encoded, 120 kB and 12 kB of URL, answered rather than refused with 414 or 431."""
    status, _ = timed_get(site, path)
    assert status == 200
