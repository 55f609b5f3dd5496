import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.accounts.tests.people import make_papers, make_user
from dailypapers.community import submit
from dailypapers.lib import calendar
from dailypapers.papers.models import Paper, Submission
from dailypapers.sources.tests.replay import ReplayServer, Reply, ok

pytestmark = pytest.mark.django_db

ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  {entry}
</feed>"""
ENTRY = """<entry>
    <id>http://arxiv.org/abs/{arxiv_id}v2</id>
    <title>Lanterns &amp; Moths: Light-Seeking Agents for $x&lt;y$ Worlds</title>
    <summary>An invented abstract about agents that follow light.</summary>
    <published>{published}T10:00:00Z</published>
    <updated>{published}T12:00:00Z</updated>
    <arxiv:primary_category term="cs.AI"/>
    <category term="cs.AI"/>
    <author><name>Mirela Quint</name></author>
    <author><name>Sol Achebe</name></author>
  </entry>"""


def atom(arxiv_id=None, published=None):
    if arxiv_id is None:
        return ATOM.format(total=0, entry="")
    return ATOM.format(total=1, entry=ENTRY.format(arxiv_id=arxiv_id, published=published))


@pytest.fixture
def arxiv(settings, monkeypatch):
    """A local stand-in for the arXiv API; the submit code finds it through ARXIV_API_BASE_URL. No
    politeness pauses towards it, so retries do not slow the tests down."""
    monkeypatch.setattr(submit, "WEB_CLIENT_OPTIONS", {**submit.WEB_CLIENT_OPTIONS, "min_interval": 0.0,
                                                       "backoff_base": 0.01, "backoff_cap": 0.01})
    monkeypatch.setattr(submit, "_default_api", None)
    with ReplayServer() as server:
        settings.ARXIV_API_BASE_URL = server.url("/api/query")
        yield server


def today():
    return timezone.now().date()


def submit_form(client, text):
    return client.post("/submit", {"paper": text})


def test_it_features_a_known_paper_on_the_current_feed_day(client, alice):
    [paper] = make_papers(1)
    client.force_login(alice)
    response = submit_form(client, "2603.00001")
    assert response.status_code == 302 and response.url == paper.get_absolute_url()
    submission = Submission.objects.get(paper=paper)
    assert submission.submitter == alice and submission.source == "local"
    assert submission.feed_day == calendar.current_feed_day()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "Submitted by alice" in page and "Thank you!" in page


@pytest.mark.parametrize("text", [
    "2603.00001", "2603.00001v2", "arXiv:2603.00001", "https://arxiv.org/abs/2603.00001v1",
    "http://arxiv.org/pdf/2603.00001v3.pdf", "https://arxiv.org/pdf/2603.00001", "arxiv.org/html/2603.00001v2",
    "https://www.arxiv.org/abs/2603.00001?context=cs", "  https://export.arxiv.org/abs/2603.00001  ",
])
def test_every_id_and_link_form_finds_the_paper(alice, text):
    make_papers(1)
    done = submit.submit(alice, text)
    assert done.paper.arxiv_id == "2603.00001" and done.submission.submitter == alice


def test_old_style_ids_work_too(alice):
    make_papers(1, arxiv_id="hep-th/0601001")
    assert submit.submit(alice, "https://arxiv.org/abs/hep-th/0601001v2").paper.arxiv_id == "hep-th/0601001"


def test_metadata_comes_from_the_arxiv_api_when_the_paper_is_new(client, alice, arxiv):
    published = today() - dt.timedelta(days=3)
    arxiv.add("/api/query", {"id_list": "2603.04444", "start": 0, "max_results": 1}, ok(atom("2603.04444", published)))
    client.force_login(alice)
    response = submit_form(client, "https://arxiv.org/pdf/2603.04444v2")
    assert response.status_code == 302
    paper = Paper.objects.get(arxiv_id="2603.04444")
    assert paper.title == "Lanterns & Moths: Light-Seeking Agents for $x<y$ Worlds"
    assert (paper.version, paper.published, paper.primary_category) == (2, published, "cs.AI")
    assert [a.name for a in paper.ordered_authors] == ["Mirela Quint", "Sol Achebe"]
    assert paper.submission.submitter == alice
    assert len(arxiv.requests) == 1


def refused(client, text):
    response = submit_form(client, text)
    assert response.status_code == 400
    return " ".join(response.context["form"].errors["paper"])


def test_refusals_say_why(client, alice, bob, arxiv, settings):
    client.force_login(alice)
    assert "not an arXiv id" in refused(client, "https://example.org/paper.pdf")
    make_papers(1, day=today() - dt.timedelta(days=2))
    assert "already featured" in refused(client, "2603.00001")
    make_papers(2, published=today() - dt.timedelta(days=settings.SUBMIT_MAX_AGE_DAYS + 1))
    assert f"more than {settings.SUBMIT_MAX_AGE_DAYS} days ago" in refused(client, "2603.00002")
    arxiv.add("/api/query", None, ok(atom()))
    assert "arXiv has no paper arXiv:2603.07777" in refused(client, "2603.07777")
    assert Submission.objects.filter(submitter=alice).count() == 0


def test_a_paper_exactly_at_the_age_limit_is_accepted(alice, settings):
    make_papers(1, published=today() - dt.timedelta(days=settings.SUBMIT_MAX_AGE_DAYS))
    assert submit.submit(alice, "2603.00001").submission.submitter == alice


def test_arxiv_being_down_is_a_clear_refusal(client, alice, arxiv):
    arxiv.add("/api/query", None, Reply(503, b"busy", content_type="text/plain"))
    client.force_login(alice)
    assert "could not be reached" in refused(client, "2603.05555")
    assert len(arxiv.requests) == submit.WEB_CLIENT_OPTIONS["max_attempts"]
    assert not Paper.objects.filter(arxiv_id="2603.05555").exists()


def test_the_daily_cap(client, alice, settings):
    settings.SUBMIT_DAILY_CAP = 2
    make_papers(1, 2, 3)
    client.force_login(alice)
    for n in (1, 2):
        assert submit_form(client, f"2603.0000{n}").status_code == 302
    assert "the daily limit" in refused(client, "2603.00003")
    assert submit.submit(make_user("bob"), "2603.00003").submission.feed_day == calendar.current_feed_day()


def test_only_one_of_two_people_becomes_the_submitter(alice, bob):
    make_papers(1)
    submit.submit(alice, "2603.00001")
    with pytest.raises(submit.SubmitError, match="already featured"):
        submit.submit(bob, "2603.00001")
    assert Submission.objects.get().submitter == alice


def test_hidden_papers_cannot_be_submitted(alice):
    [paper] = make_papers(1)
    Paper.objects.filter(pk=paper.pk).update(hidden=True)
    with pytest.raises(submit.SubmitError, match="cannot be submitted"):
        submit.submit(alice, "2603.00001")


def test_submitting_needs_a_verified_account_and_a_login(client, charlie):
    make_papers(1)
    assert client.get("/submit").url == "/login?next=/submit"
    client.force_login(charlie)
    response = submit_form(client, "2603.00001")
    assert response.status_code == 302 and not Submission.objects.exists()


def test_submissions_are_rate_limited(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "submit": (2, 3600)}
    client.force_login(alice)
    for _ in range(2):
        submit_form(client, "nonsense")
    assert submit_form(client, "nonsense").status_code == 429


def test_the_submit_page_states_the_rules(client, alice, settings):
    client.force_login(alice)
    body = client.get("/submit").content.decode()
    assert f"at most {settings.SUBMIT_MAX_AGE_DAYS} days ago" in body
    assert f"Up to {settings.SUBMIT_DAILY_CAP} papers a day: you have submitted 0 today" in body
