"""``dailypapers sync``: sources over real HTTP (the replay server), checkpoints, claims and resumption."""

import datetime as dt
import io
import json
import tarfile

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Organization, Paper, Submission
from dailypapers.sources import sync
from dailypapers.sources.export import export_rows
from dailypapers.sources.models import SourceState

from .conftest import own_fixture
from .replay import Reply, ok, too_many_requests, truncated, unavailable

pytestmark = pytest.mark.django_db

# Wednesday 2026-03-04, 10:00 US/Eastern: the current HF feed day is that Wednesday.
NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)
DAYS = ["2026-03-02", "2026-03-03", "2026-03-04"]


def entry(n, day, upvotes=3):
    return {"paper": {"id": f"2603.{n:05d}", "title": f"Invented paper {n}", "summary": f"About {n}.",
                      "authors": [{"name": "Alice Quark", "hidden": False}, {"name": "Bob Lepton", "hidden": False}],
                      "publishedAt": "2026-02-27T00:00:00.000Z", "upvotes": upvotes,
                      "submittedOnDailyAt": f"{day}T04:00:00.000Z", "submittedOnDailyBy": {"user": "charlie"}},
            "numComments": 1, "title": f"Invented paper {n}"}


def day_query(day, p=0):
    return {"date": day, "p": p, "limit": 100}


@pytest.fixture
def hf(settings, replay, make_client):
    settings.HF_BASE_URL = replay.url("")
    settings.HF_BACKFILL_DAYS = 2
    replay.add("/api/daily_papers", None, ok("[]", content_type="application/json"))

    def source(**client_options):
        options = {"min_interval": 0.0, "max_attempts": 3} | client_options
        return sync.HfDailySource(client=make_client(**options))

    return source


def serve_day(replay, day, entries, *more):
    replay.add("/api/daily_papers", day_query(day), ok(json.dumps(entries), content_type="application/json"),
               *more)


def papers():
    return sorted(Paper.objects.values_list("arxiv_id", "hf_upvotes"))


def test_it_backfills_the_window_then_refreshes_recent_days(replay, hf):
    for i, day in enumerate(DAYS):
        serve_day(replay, day, [entry(i * 10 + 1, day), entry(i * 10 + 2, day)])
    result = sync.run_source("hf", now=NOW, source=hf())
    assert (result.created, len(result.rejected)) == (6, 0)
    assert [r.query["date"] for r in replay.requests] == [[d] for d in DAYS]
    state = SourceState.objects.get(name="hf")
    assert state.checkpoint["synced_through"] == "2026-03-04"
    assert state.checkpoint["progress"] == {"done": 3, "total": 3}
    assert state.next_due_at == NOW + dt.timedelta(hours=1) and state.running_since is None
    assert Submission.objects.get(paper__arxiv_id="2603.00021").feed_day == dt.date(2026, 3, 4)

    replay.requests.clear()
    serve_day(replay, "2026-03-04", [entry(21, "2026-03-04", upvotes=40), entry(22, "2026-03-04")])
    assert sync.run_source("hf", now=NOW) is None  # not due yet
    result = sync.run_source("hf", now=NOW + dt.timedelta(hours=1), source=hf())
    assert [r.query["date"] for r in replay.requests] == [["2026-03-02"], ["2026-03-03"], ["2026-03-04"]]
    assert (result.created, result.updated) == (0, 1)
    assert dict(papers())["2603.00021"] == 40


def test_it_follows_link_headers_and_p_paging(replay, hf):
    next_url = replay.url("/api/daily_papers?date=2026-03-02&cursor=abc")
    serve_day(replay, "2026-03-02", [entry(1, "2026-03-02")])
    replay.routes[("/api/daily_papers", (("date", "2026-03-02"), ("limit", "100"), ("p", "0")))][0].headers = {
        "Link": f'<{next_url}>; rel="next"'}
    replay.add("/api/daily_papers", {"date": "2026-03-02", "cursor": "abc"},
               ok(json.dumps([entry(2, "2026-03-02")]), content_type="application/json"))
    full_page = [entry(100 + n, "2026-03-03") for n in range(100)]
    serve_day(replay, "2026-03-03", full_page)
    replay.add("/api/daily_papers", day_query("2026-03-03", p=1),
               ok(json.dumps([entry(300, "2026-03-03")]), content_type="application/json"))
    result = sync.run_source("hf", now=NOW, source=hf())
    assert result.created == 103
    assert Paper.objects.filter(arxiv_id__in=["2603.00002", "2603.00300"]).count() == 2


def test_faults_are_retried_and_a_truncated_day_is_never_half_applied(replay, hf, clock):
    body = json.dumps([entry(1, "2026-03-02"), entry(2, "2026-03-02")])
    replay.add("/api/daily_papers", day_query("2026-03-02"), unavailable(retry_after=10), too_many_requests(),
               truncated(body, send_length=False), ok(body, content_type="application/json"))
    result = sync.run_source("hf", now=NOW, source=hf(max_attempts=5, backoff_base=1.0))
    assert result.created == 2
    assert clock.sleeps[0] == 10.0  # the server's Retry-After
    assert len(clock.sleeps) == 3  # after the 503, the 429 and the truncated body


def test_a_failed_run_is_recorded_and_the_rerun_resumes(replay, hf):
    serve_day(replay, "2026-03-02", [entry(1, "2026-03-02")])
    replay.add("/api/daily_papers", day_query("2026-03-03"), Reply(500, b"boom", content_type="text/plain"))
    serve_day(replay, "2026-03-04", [entry(3, "2026-03-04")])
    with pytest.raises(Exception, match="gave up"):
        sync.run_source("hf", now=NOW, source=hf())
    state = SourceState.objects.get(name="hf")
    assert "HTTP 500" in state.last_error and state.running_since is None
    assert state.checkpoint["synced_through"] == "2026-03-02"
    assert state.next_due_at == NOW + dt.timedelta(minutes=15)
    assert papers() == [("2603.00001", 3)]

    serve_day(replay, "2026-03-03", [entry(2, "2026-03-03")])
    replay.requests.clear()
    sync.run_source("hf", now=NOW + dt.timedelta(minutes=15), source=hf())
    assert SourceState.objects.get(name="hf").last_error == ""
    assert [p for p, _ in papers()] == ["2603.00001", "2603.00002", "2603.00003"]


def test_a_run_that_holds_the_claim_keeps_others_out(hf):
    state = SourceState.for_source("hf")
    assert state.claim(NOW)
    assert sync.run_source("hf", now=NOW, force=True, source=hf()) is None
    # A claim older than STALE_CLAIM belongs to a dead run (kill -9) and is taken over.
    assert sync.run_source("hf", now=NOW + dt.timedelta(hours=1), force=True, source=hf()) is not None


def oai_server(replay, settings, second):
    settings.ARXIV_OAI_BASE_URL = replay.url("/oai")
    settings.ARXIV_OAI_FROM = "2026-01-01"
    replay.add("/oai", {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2026-01-01", "set": "cs"},
               ok(own_fixture("oai_raw_page1.xml")))
    replay.add("/oai", {"verb": "ListRecords", "resumptionToken": "fake|1001"}, *second)


def oai_state():
    return sorted(Paper.objects.values_list("arxiv_id", "version", "title"))


def test_an_oai_backfill_killed_after_a_page_resumes_to_the_same_database(replay, settings, make_client):
    oai_server(replay, settings, [ok(own_fixture("oai_raw_page2.xml"))])
    sync.run_source("arxiv_oai", now=NOW, source=sync.ArxivOaiSource(client=make_client(min_interval=0.0)))
    uninterrupted = oai_state()
    assert SourceState.objects.get(name="arxiv_oai").checkpoint["from"]
    Paper.objects.all().delete()
    SourceState.objects.all().delete()

    oai_server(replay, settings, [Reply(503, b"down", content_type="text/plain")])
    with pytest.raises(Exception, match="gave up"):
        sync.run_source("arxiv_oai", now=NOW,
                        source=sync.ArxivOaiSource(client=make_client(min_interval=0.0, max_attempts=2)))
    assert SourceState.objects.get(name="arxiv_oai").checkpoint["token"] == "fake|1001"
    assert len(oai_state()) == 2

    oai_server(replay, settings, [ok(own_fixture("oai_raw_page2.xml"))])
    replay.requests.clear()
    sync.run_source("arxiv_oai", now=NOW, force=True,
                    source=sync.ArxivOaiSource(client=make_client(min_interval=0.0)))
    assert [r.query.get("resumptionToken") for r in replay.requests] == [["fake|1001"]]  # not from scratch
    assert oai_state() == uninterrupted


def test_the_rss_source_stores_todays_announcements(replay, settings, make_client):
    settings.ARXIV_RSS_BASE_URL = replay.url("")
    settings.ARXIV_CATEGORIES = ["cs.XX"]
    replay.add("/rss/cs.XX", None, ok(own_fixture("rss_cs.XX.rss.xml")))
    result = sync.run_source("arxiv_rss", now=NOW, source=sync.ArxivRssSource(client=make_client(min_interval=0.0)))
    assert result.created > 0 and not result.rejected
    state = SourceState.objects.get(name="arxiv_rss")
    assert set(state.checkpoint["by_type"]) <= {"new", "cross", "replace", "replace-cross"}
    assert state.next_due_at.astimezone(dt.UTC).hour in (0, 1)  # 20:00 Eastern + 30 min, in UTC


def test_the_sync_command_reports_each_source(replay, hf, settings):
    settings.SOURCES_ENABLED = ["hf"]
    serve_day(replay, "2026-03-04", [entry(1, "2026-03-04")])
    out, err = io.StringIO(), io.StringIO()
    settings.HF_MIN_INTERVAL_S = 0.0
    call_command("sync", "--force", stdout=out, stderr=err)
    assert "hf: " in out.getvalue() and "created" in out.getvalue(), err.getvalue()


@pytest.mark.shared
def test_the_580_real_responses_synced_over_http_equal_the_tarball_import(shared_dir, replay, hf, settings):
    archive = shared_dir / "data" / "hf-daily-papers-api.tar.gz"
    days = []
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".json"):
                day = member.name.rsplit("/", 1)[-1][:10]
                days.append(day)
                serve_day(replay, day, [])
                replay.routes[("/api/daily_papers", (("date", day), ("limit", "100"), ("p", "0")))] = [
                    ok(tar.extractfile(member).read(), content_type="application/json")]
    first, last = dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days))
    settings.HF_BACKFILL_DAYS = (last - first).days
    at_noon_of_last = dt.datetime.combine(last, dt.time(15), tzinfo=dt.UTC)
    result = sync.run_source("hf", now=at_noon_of_last, source=hf())
    assert len(days) == 580 and result.created == 9877 and not result.rejected
    synced = [row for row in export_rows()]

    Paper.objects.all().delete()
    Organization.objects.all().delete()
    call_command("import", str(archive), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    assert [row for row in export_rows()] == synced
