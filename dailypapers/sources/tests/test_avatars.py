"""Avatars are fetched by the worker and served by the site, re-encoded; nothing is hot-linked."""

import datetime as dt
import io

import pytest
import time_machine
from PIL import Image

from dailypapers.lib import avatars
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers
from dailypapers.sources import avatars as job

from .replay import Reply, ok, unavailable

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 3, 2)


def png(size=(200, 120), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "white" if mode == "1" else (200, 30, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def site(replay, make_client, settings, tmp_path, monkeypatch):
    settings.HOME, settings.HF_BASE_URL = tmp_path, replay.url("/").rstrip("/")
    monkeypatch.setattr(job, "_client", make_client(max_attempts=2))
    upsert_papers([
        PaperRecord(arxiv_id="2603.00001", title="Lanterns", abstract="Light.", authors=["Alice Quark"],
                    published=MONDAY, featured_on=MONDAY, submitted_by="zed",
                    organization=OrgRecord("Lantern Lab", avatar_url=replay.url("/lab.png")),
                    submitter_profile={"name": "zed", "avatarUrl": "/avatars/zed.svg"}),
        PaperRecord(arxiv_id="2603.00002", title="Candles", abstract="Wax.", authors=["Bob Wick"],
                    published=MONDAY, featured_on=MONDAY, submitted_by="yan",
                    organization=OrgRecord("Candle Guild", avatar_url=replay.url("/guild.png")),
                    submitter_profile={"name": "yan", "avatarUrl": replay.url("/bomb.png")}),
    ])
    replay.add("/lab.png", {}, ok(png(), content_type="image/png"))
    replay.add("/avatars/zed.svg", {}, ok('<svg onload="alert(1)"/>', content_type="image/svg+xml"))
    replay.add("/guild.png", {}, unavailable(), Reply(404, b"gone", content_type="text/plain"))
    replay.add("/bomb.png", {}, ok(png((5000, 5000), mode="1"), content_type="image/png"))
    return replay


def test_the_worker_keeps_each_avatar_as_a_small_png_and_the_site_serves_it(site, client):
    assert job.run_due() is False  # all four tried in one run
    kept = avatars.local_url(site.url("/lab.png"))
    assert kept.startswith("/avatars/") and kept.endswith(".png")
    response = client.get(kept)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert max(image.size) == avatars.SIZE and image.format == "PNG"


def test_a_backlog_is_fetched_a_batch_a_run(site, monkeypatch):
    monkeypatch.setattr(job, "BATCH", 1)
    checked = []
    monkeypatch.setattr(avatars, "due", lambda url, due=avatars.due: checked.append(url) or due(url))
    assert job.run_due() is True and len(checked) == 2  # one tried; one more seen due, the rest unchecked
    monkeypatch.setattr(job, "BATCH", 2)
    assert job.run_due() is True  # two more tried, one waits
    assert [url for url in job.wanted() if avatars.due(url)] == [sorted(job.wanted())[-1]]
    assert job.run_due() is False and not any(avatars.due(url) for url in job.wanted())


@pytest.mark.parametrize("path", ["/avatars/zed.svg", "/guild.png", "/bomb.png"],
                         ids=["svg with script", "server error then gone", "decompression bomb"])
def test_what_is_not_a_safe_image_falls_back_and_waits_a_day(site, path):
    job.run_due()
    url = site.url(path) if path != "/avatars/zed.svg" else path  # the submitter's is relative to HF
    assert avatars.local_url(url) == ""
    assert not avatars.due(url)
    with time_machine.travel(dt.datetime.now().timestamp() + avatars.RETRY_FAILED + 1):
        assert avatars.due(url)


def test_a_run_that_found_nothing_due_fetches_nothing(site):
    job.run_due()
    asked = len(site.requests)
    job.run_due()
    assert len(site.requests) == asked


def test_only_names_it_made_are_served(client, settings, tmp_path):
    settings.HOME = tmp_path
    (tmp_path / "avatars").mkdir()
    (tmp_path / "avatars" / "secret.txt").write_text("no")
    for name in ["secret.txt", "0" * 32 + ".png", "..%2Fdb.sqlite3"]:
        assert client.get(f"/avatars/{name}").status_code == 404
