import datetime as dt
import json

import pytest

from dailypapers.papers.models import Paper
from dailypapers.papers.upsert import upsert_papers
from dailypapers.sources.arxiv_api import ArxivApi, ArxivApiError, parse_feed
from dailypapers.sources.arxiv_oai import parse_list_records

from .conftest import own_fixture
from .replay import Reply, ok

D = dt.date


def api(make_client, replay, **kwargs):
    return ArxivApi(make_client(), base_url=replay.url("/api/query"), **kwargs)


# -- parsing ---------------------------------------------------------------------------------------
def test_entry_fields():
    page = parse_feed(own_fixture("api_idlist.atom.xml"))
    assert (page.total_results, page.start_index, page.entry_count) == (2, 0, 2)
    rec = page.records[0]
    assert (rec.arxiv_id, rec.version) == ("2601.00001", 3)
    assert (rec.published, rec.updated) == (D(2026, 1, 1), D(2026, 1, 4))
    assert rec.versions == [(1, D(2026, 1, 1)), (3, D(2026, 1, 4))]
    assert rec.authors == ["Ada Q. Testwoman", "Bo Fakeson Jr.", "Céline Exempla"]
    assert rec.categories == ["cs.CL", "cs.AI"]  # primary first although listed after cs.AI
    assert (rec.comment, rec.journal_ref, rec.doi) == ("9 pages, made up", "J. Fict. 1 (2026) 1-9",
                                                       "10.0000/fict.0001")


def test_entry_in_2016_element_order_with_old_style_id():
    rec = parse_feed(own_fixture("api_idlist.atom.xml")).records[1]
    assert (rec.arxiv_id, rec.version, rec.title) == ("hep-th/9901001", 1, "Strings Made Up")
    assert (rec.categories, rec.authors, rec.published) == (["hep-th"], ["Old Style Author"], D(1999, 1, 1))
    assert (rec.comment, rec.doi) == ("", "")


def test_error_entry_raises_with_arxivs_message():
    with pytest.raises(ArxivApiError, match="incorrect id format for nonsense"):
        parse_feed(own_fixture("api_error_400.atom.xml"))


# -- over HTTP -------------------------------------------------------------------------------------
def test_http_400_error_entry_is_a_clear_error_and_not_retried(replay, make_client):
    replay.add("/api/query", None, Reply(400, own_fixture("api_error_400.atom.xml")))
    with pytest.raises(ArxivApiError) as info:
        list(api(make_client, replay).lookup(["nonsense"]))
    assert (info.value.status, info.value.message) == (400, "incorrect id format for nonsense")
    assert len(replay.requests) == 1


def test_lookup_batches_ids(replay, make_client, clock):
    replay.add("/api/query", {"id_list": "2601.00001,hep-th/9901001", "start": 0, "max_results": 2},
               ok(own_fixture("api_idlist.atom.xml")))
    replay.add("/api/query", {"id_list": "2601.00010", "start": 0, "max_results": 1},
               ok(own_fixture("api_search_p0.atom.xml")))
    ids = ["2601.00001", "hep-th/9901001", "2601.00010", "2601.00001"]  # a repeat is asked once
    records = list(api(make_client, replay, batch_size=2).lookup(ids))
    assert [r.arxiv_id for r in records] == ["2601.00001", "hep-th/9901001", "2601.00010", "2601.00011"]
    assert len(replay.requests) == 2 and clock.sleeps == [3.0]


def search_server(replay, second):
    base = {"search_query": "all:fake", "max_results": 2}
    replay.add("/api/query", {**base, "start": 0}, ok(own_fixture("api_search_p0.atom.xml")))
    replay.add("/api/query", {**base, "start": 2}, *second)


def test_search_pages_until_total_results(replay, make_client):
    search_server(replay, [ok(own_fixture("api_search_p1.atom.xml"))])
    records = list(api(make_client, replay, page_size=2).search("all:fake"))
    assert [r.arxiv_id for r in records] == ["2601.00010", "2601.00011", "2601.00012"]
    assert [r.query["start"] for r in replay.requests] == [["0"], ["2"]]


def test_search_respects_max_results(replay, make_client):
    replay.add("/api/query", {"search_query": "all:fake", "start": 0, "max_results": 1},
               ok(own_fixture("api_search_p0.atom.xml")))
    pages = list(api(make_client, replay, page_size=2).search_pages("all:fake", max_results=1))
    assert len(pages) == 1 and len(replay.requests) == 1


def test_spurious_empty_page_is_refetched(replay, make_client):
    search_server(replay, [ok(own_fixture("api_search_p1_empty.atom.xml")),
                           ok(own_fixture("api_search_p1.atom.xml"))])
    records = list(api(make_client, replay, page_size=2).search("all:fake"))
    assert [r.arxiv_id for r in records][-1] == "2601.00012"
    assert len(replay.requests) == 3


# -- the recorded responses in ../shared -----------------------------------------------------------
EXPECTED = {
    "legacy_2016_search_au_del_maestro_max10.atom.xml": 10,
    "query_idlist_0000.0000_no_results.atom.xml": 0,
    "query_idlist_0808.05394_1707.08567.atom.xml": 1,
    "query_idlist_astro-ph_0601001_oldstyle_id.atom.xml": 1,
    "query_search_testing_start0_max10.atom.xml": 10,
    "query_search_testing_start10_max10.atom.xml": 10,
}


@pytest.mark.shared
def test_every_recorded_feed_parses(shared_dir):
    folder = shared_dir / "fixtures" / "arxiv_api"
    assert {p.name for p in folder.glob("*.xml")} == {*EXPECTED, "query_idlist_abc_http400_error.atom.xml"}
    for name, count in EXPECTED.items():
        page = parse_feed((folder / name).read_bytes())
        assert (len(page.records), page.skipped) == (count, []), name
        for rec in page.records:
            normalized = rec.normalized()
            assert normalized.version and normalized.published and normalized.authors, name
            assert normalized.categories[0] == normalized.categories[0].strip() != "", name


@pytest.mark.shared
def test_recorded_legacy_2016_entry(shared_dir):
    folder = shared_dir / "fixtures" / "arxiv_api"
    body = (folder / "legacy_2016_search_au_del_maestro_max10.atom.xml").read_bytes()
    rec = parse_feed(body).records[0]
    assert (rec.arxiv_id, rec.version, rec.published) == ("1201.4869", 1, D(2012, 1, 23))
    assert rec.categories == ["cond-mat.mes-hall", "cond-mat.other"]
    assert rec.doi == "10.1142/S021797921244002X"
    assert rec.journal_ref == "Int. J. Mod. Phys. B, 26, 1244002 (2012)"
    assert rec.comment == "26 pages, 10 figures"


@pytest.mark.shared
def test_recorded_old_style_id_and_revised_paper(shared_dir):
    folder = shared_dir / "fixtures" / "arxiv_api"
    old = parse_feed((folder / "query_idlist_astro-ph_0601001_oldstyle_id.atom.xml").read_bytes()).records[0]
    assert (old.arxiv_id, old.version, old.journal_ref) == ("astro-ph/0601001", 1, "ActaAstron.56:1-50,2006")
    revised = {r.arxiv_id: r for r in parse_feed((folder / "query_search_testing_start10_max10.atom.xml")
                                                 .read_bytes()).records}["2403.16981"]
    assert (revised.version, revised.published, revised.updated) == (2, D(2024, 3, 25), D(2025, 5, 24))
    assert revised.categories == ["math.ST", "cs.IT", "stat.ML"]


@pytest.mark.shared
def test_recorded_http_400_over_http(shared_dir, replay, make_client):
    folder = shared_dir / "fixtures" / "arxiv_api"
    name = "query_idlist_abc_http400_error.atom.xml"
    status = json.loads((folder / "_index.json").read_text())[name]["status_code"]
    replay.add("/api/query", None, Reply(status, (folder / name).read_bytes()))
    with pytest.raises(ArxivApiError, match=r"HTTP 400.*incorrect id format for abc"):
        list(api(make_client, replay).lookup(["abc"]))


@pytest.mark.shared
def test_recorded_search_paging_over_http(shared_dir, replay, make_client, clock):
    folder = shared_dir / "fixtures" / "arxiv_api"
    for start in (0, 10):
        replay.add("/api/query", {"search_query": "testing", "start": start, "max_results": 10},
                   ok((folder / f"query_search_testing_start{start}_max10.atom.xml").read_bytes()))
    records = list(api(make_client, replay, page_size=10).search("testing", max_results=20))
    assert len({r.arxiv_id for r in records}) == 20
    assert len(replay.requests) == 2 and clock.sleeps == [3.0]


# -- into the database -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_api_records_become_paper_rows():
    result = upsert_papers(parse_feed(own_fixture("api_idlist.atom.xml")).records)
    assert (result.created, result.rejected) == (2, [])
    paper = Paper.objects.get(arxiv_id="2601.00001")
    assert (paper.version, paper.published, paper.updated) == (3, D(2026, 1, 1), D(2026, 1, 4))
    assert (paper.primary_category, paper.category_codes) == ("cs.CL", "cs.CL cs.AI")
    assert paper.doi == "10.0000/fict.0001"
    assert Paper.objects.get(arxiv_id="hep-th/9901001").primary_category == "hep-th"


@pytest.mark.django_db
def test_api_and_oai_agree_on_the_same_paper():
    """The same paper read from OAI then from the API must not flip any stored field."""
    upsert_papers(parse_list_records(own_fixture("oai_raw_page1.xml")).records)
    api_record = parse_feed(own_fixture("api_idlist.atom.xml")).records[0]
    result = upsert_papers([api_record])
    assert (result.updated, result.unchanged) == (0, 1)
