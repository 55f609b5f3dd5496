import datetime as dt
import email.utils
import threading
import time

import pytest

from dailypapers.sources.http import (
    HttpStatusError,
    ParseError,
    RetriesExhausted,
    parse_retry_after,
    user_agent,
)
from dailypapers.sources.xml import UnsafeXmlError, parse_xml

from .replay import Reply, ok, slow, too_many_requests, truncated, unavailable

BODY = b"<root>" + b"<item>x</item>" * 200 + b"</root>"


def test_user_agent_names_the_contact_from_settings(replay, make_client):
    replay.add("/a", None, ok(BODY))
    make_client().get(replay.url("/a"))
    assert replay.requests[0].headers["User-Agent"] == "dailypapers/0.1 (+mailto:harvest-tests@example.org)"


def test_user_agent_falls_back_to_admin_at_localhost(settings):
    settings.SOURCES_CONTACT_EMAIL = "x@example.org"
    del settings.SOURCES_CONTACT_EMAIL
    assert user_agent() == "dailypapers/0.1 (+mailto:admin@localhost)"


def test_query_params_are_sent_and_none_values_dropped(replay, make_client):
    replay.add("/q", {"verb": "ListRecords", "set": "cs"}, ok(BODY))
    response = make_client().get(replay.url("/q"), {"verb": "ListRecords", "set": "cs", "from": None})
    assert response.body == BODY
    assert replay.requests[0].query == {"verb": ["ListRecords"], "set": ["cs"]}


def test_at_least_three_seconds_between_requests_to_one_host(replay, make_client, clock):
    replay.add("/a", None, ok(BODY))
    client = make_client()
    for _ in range(3):
        client.get(replay.url("/a"))
    assert clock.sleeps == [3.0, 3.0]
    assert len(replay.requests) == 3


def test_one_request_at_a_time_even_from_several_threads(replay, make_client):
    replay.add("/a", None, slow(BODY, delay=0.05))
    client = make_client(min_interval=0.0)
    threads = [threading.Thread(target=client.get, args=(replay.url("/a"),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(replay.requests), replay.max_active) == (4, 1)


def test_interval_counts_time_already_elapsed(replay, make_client, clock):
    replay.add("/a", None, ok(BODY))
    client = make_client()
    client.get(replay.url("/a"))
    clock.t += 2.0  # the caller spent 2 s storing the page
    client.get(replay.url("/a"))
    assert clock.sleeps == [pytest.approx(1.0)]


def test_interval_is_per_host(replay, make_client, clock):
    replay.add("/a", None, ok(BODY))
    client = make_client()
    client.get(replay.url("/a"))
    client.get(replay.url("/a").replace("127.0.0.1", "localhost"))
    assert clock.sleeps == []


def test_503_retry_after_seconds_is_honoured(replay, make_client, clock):
    replay.add("/a", None, unavailable(retry_after=10), ok(BODY))
    assert make_client().get(replay.url("/a")).body == BODY
    assert clock.sleeps == [10.0]


def test_429_retry_after_http_date_is_honoured(replay, make_client, clock):
    when = email.utils.format_datetime(clock.now() + dt.timedelta(seconds=30), usegmt=True)
    replay.add("/a", None, too_many_requests(retry_after=when), ok(BODY))
    make_client().get(replay.url("/a"))
    assert clock.sleeps == [pytest.approx(30.0)]


def test_429_without_retry_after_backs_off_exponentially_with_jitter(replay, make_client, clock):
    replay.add("/a", None, too_many_requests(), too_many_requests(), too_many_requests(), ok(BODY))
    make_client(backoff_base=5.0, jitter=0.25).get(replay.url("/a"))
    assert len(clock.sleeps) == 3
    for sleep, base in zip(clock.sleeps, (5.0, 10.0, 20.0), strict=True):
        assert base <= sleep <= base * 1.25
    assert len(set(clock.sleeps)) == 3


def test_backoff_is_capped(replay, make_client, clock):
    replay.add("/a", None, *[too_many_requests()] * 4, ok(BODY))
    make_client(backoff_base=5.0, jitter=0.0, backoff_cap=12.0, max_attempts=6).get(replay.url("/a"))
    assert clock.sleeps == [5.0, 10.0, 12.0, 12.0]


def test_a_retry_after_beyond_the_limit_is_not_waited_out(replay, make_client, clock):
    replay.add("/a", None, unavailable(retry_after=86400), ok(BODY))
    with pytest.raises(HttpStatusError) as info:
        make_client(max_retry_after=900).get(replay.url("/a"))
    assert info.value.status == 503
    assert clock.sleeps == []


def test_gives_up_after_max_attempts_with_a_clear_error(replay, make_client, clock):
    replay.add("/a", None, unavailable())
    with pytest.raises(RetriesExhausted, match=r"after 3 attempts.*HTTP 503"):
        make_client(max_attempts=3).get(replay.url("/a"))
    assert len(replay.requests) == 3
    assert len(clock.sleeps) == 2


def test_final_status_is_not_retried_and_keeps_the_body(replay, make_client):
    replay.add("/a", None, Reply(404, b"no such thing"))
    with pytest.raises(HttpStatusError) as info:
        make_client().get(replay.url("/a"))
    assert (info.value.status, info.value.body) == (404, b"no such thing")
    assert len(replay.requests) == 1


def test_body_shorter_than_content_length_is_refetched(replay, make_client):
    replay.add("/a", None, truncated(BODY), ok(BODY))
    assert make_client().get(replay.url("/a")).body == BODY
    assert len(replay.requests) == 2


def test_silently_cut_body_is_refetched_when_parsing_fails(replay, make_client, clock):
    replay.add("/a", None, truncated(BODY, send_length=False), ok(BODY))
    root = make_client(jitter=0.0).fetch_parsed(replay.url("/a"), parse_xml)
    assert len(root) == 200
    assert len(replay.requests) == 2
    assert clock.sleeps == [5.0]  # the same backoff as a failed request


def test_parse_failures_are_bounded(replay, make_client):
    def never(body):
        raise ParseError("nope")

    replay.add("/a", None, ok(BODY))
    with pytest.raises(RetriesExhausted) as info:
        make_client(max_attempts=2).fetch_parsed(replay.url("/a"), never)
    assert isinstance(info.value.last_error, ParseError)
    assert len(replay.requests) == 2


def test_unsafe_xml_is_not_refetched(replay, make_client):
    replay.add("/a", None, ok(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'))
    with pytest.raises(UnsafeXmlError):
        make_client().fetch_parsed(replay.url("/a"), parse_xml)
    assert len(replay.requests) == 1


def test_slow_response_times_out_and_is_retried(replay, make_client):
    replay.add("/a", None, slow(BODY, delay=0.6), ok(BODY))
    started = time.monotonic()
    assert make_client(timeout=0.2).get(replay.url("/a")).body == BODY
    assert len(replay.requests) == 2
    assert time.monotonic() - started < 0.55  # gave up on the slow reply instead of waiting it out


@pytest.mark.parametrize(("header", "expected"), [
    ("10", 10.0),
    ("  7 ", 7.0),
    ("Mon, 05 Jan 2026 12:01:00 GMT", 60.0),
    ("Mon, 05 Jan 2026 11:00:00 GMT", 0.0),  # already past
    ("soon", None),
    ("", None),
    (None, None),
])
def test_parse_retry_after(header, expected):
    now = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after(header, now) == expected


def test_only_http_urls_are_fetched(make_client):
    with pytest.raises(ValueError, match="only http"):
        make_client().get("file:///etc/passwd")
