"""Anonymous searches are kept like pages under pagecache.SEARCH: whatever changes what a search can
find (a paper stored, vectors written) answers afresh at once."""

import pytest

from dailypapers.papers.tests.cached import hit
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import jobs

from .conftest import record

pytestmark = pytest.mark.django_db(transaction=True)  # bumps run on commit

URL = "/search?q=zorblax"


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.SEARCH_CACHE_SECONDS = 60


def test_a_search_page_is_kept_for_anonymous_readers_only(client, corpus, django_user_model):
    first = client.get(URL)
    again = client.get(URL)
    assert first.status_code == 200 and not hit(first) and hit(again)
    assert b"csrfmiddlewaretoken" in again.content  # the upvote forms get this reader's token
    assert not hit(client.get("/search?q=zorblax&sort=newest"))  # another query, another answer
    user = django_user_model.objects.create_user("reader", "reader@example.org", "a long passphrase 9")
    client.force_login(user)
    assert not hit(client.get(URL))


def test_a_paper_stored_is_found_at_once(client, corpus):
    client.get(URL)
    upsert_papers([record(9, "Zorblax for video", "Zorblax priors shrink video codecs too.")])
    fresh = client.get(URL)
    assert not hit(fresh) and b"2603.00009" in fresh.content


def test_vectors_written_answer_afresh(client, corpus):
    jobs.reindex_if_stale()
    client.get("/api/v1/search?q=protein+structure")
    assert hit(client.get("/api/v1/search?q=protein+structure"))
    jobs.embed_pending()
    fresh = client.get("/api/v1/search?q=protein+structure")
    assert not hit(fresh) and b'"semantic"' in fresh.content
