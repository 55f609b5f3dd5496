import datetime as dt
import json
import re

import pytest

from dailypapers.papers.models import Paper, PaperVersion
from dailypapers.papers.upsert import upsert_papers
from dailypapers.sources.arxiv_oai import (
    OaiError,
    OaiHarvester,
    parse_list_records,
    split_authors,
    tex_to_unicode,
)
from dailypapers.sources.http import RetriesExhausted

from .conftest import own_fixture
from .replay import ok, truncated, unavailable

D = dt.date
FIRST_QUERY = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2026-01-01", "set": "cs"}
NEXT_QUERY = {"verb": "ListRecords", "resumptionToken": "fake|1001"}


def by_id(page):
    return {r.arxiv_id: r for r in page.records}


# -- parsing the project's own fixtures ------------------------------------------------------------
def test_arxiv_raw_page_with_legacy_token():
    page = parse_list_records(own_fixture("oai_raw_page1.xml"))
    assert (page.token, page.complete_list_size, page.cursor) == ("fake|1001", 3, 0)
    assert page.response_date == "2026-01-05T10:00:00Z"
    assert page.deleted == ["oai:arXiv.org:2601.00003"]
    assert list(by_id(page)) == ["2601.00001", "2601.00002"]


def test_arxiv_raw_record_fields_and_version_history():
    rec = by_id(parse_list_records(own_fixture("oai_raw_page1.xml")))["2601.00001"]
    # Versions listed out of order in the XML come back sorted; the newest is the current one.
    assert rec.versions == [(1, D(2026, 1, 1)), (2, D(2026, 1, 2)), (3, D(2026, 1, 4))]
    assert (rec.version, rec.published, rec.updated) == (3, D(2026, 1, 1), D(2026, 1, 4))
    assert rec.authors == ["Ada Q. Testwoman", "Bo Fakeson Jr.", "Céline Exempla"]
    assert rec.categories == ["cs.CL", "cs.AI"]
    assert (rec.comment, rec.journal_ref, rec.doi) == ("9 pages, made up", "J. Fict. 1 (2026) 1-9",
                                                       "10.0000/fict.0001")
    assert rec.normalized().title == "Imaginary Transformers for Invented Benchmarks"
    assert rec.source == "arxiv_oai" and rec.origin == "oai:arXiv.org:2601.00001"


def test_arxiv_raw_in_any_element_order_with_absent_optional_fields():
    rec = by_id(parse_list_records(own_fixture("oai_raw_page1.xml")))["2601.00002"]
    assert rec.title == "A Second Fake Paper"
    assert rec.authors == ["Dan Placeholder", "Eve Sample"]
    assert (rec.version, rec.published) == (1, D(2026, 1, 3))
    assert (rec.comment, rec.journal_ref, rec.doi) == ("", "", "")


def test_current_style_empty_token_ends_the_list():
    page = parse_list_records(own_fixture("oai_raw_page2.xml"))
    assert page.token is None and page.complete_list_size is None
    assert by_id(page)["2601.00004"].authors == ["Finn Example", "Gia Mock"]


def test_arxiv_format_authors_from_keyname_and_forenames():
    page = parse_list_records(own_fixture("oai_arxiv_format.xml"))
    assert page.token is None  # no resumptionToken element at all
    rec = page.records[0]
    assert rec.authors == ["Hal Hopper Jr", "Ivy Szöllősi"]
    assert (rec.published, rec.updated, rec.version) == (D(2026, 1, 2), D(2026, 1, 4), None)
    assert rec.categories == ["math.CO", "cs.DM"]


def test_no_records_match_is_an_empty_final_page():
    page = parse_list_records(own_fixture("oai_no_records_match.xml"))
    assert (page.records, page.token, page.response_date) == ([], None, "2026-01-05T10:00:00Z")


def test_other_oai_errors_raise():
    with pytest.raises(OaiError, match="badResumptionToken: The token has expired") as info:
        parse_list_records(own_fixture("oai_bad_resumption_token.xml"))
    assert info.value.code == "badResumptionToken"


@pytest.mark.parametrize(("raw", "names"), [
    ("A. One, B. Two and C. Three", ["A. One", "B. Two", "C. Three"]),
    ("A. One, B. Two, and C. Three", ["A. One", "B. Two", "C. Three"]),
    ("Quirino M. Sugon Jr., Carlo B. Fernandez", ["Quirino M. Sugon Jr.", "Carlo B. Fernandez"]),
    ("John Smith, Jr., Jane Doe", ["John Smith Jr.", "Jane Doe"]),
    ("Henry Ford III and Al Gore", ["Henry Ford III", "Al Gore"]),
    ("A. Baldi (1), R. Kraft (1) and A. Sim (2) ((1) CfA, (2) MPE)", ["A. Baldi", "R. Kraft", "A. Sim"]),
    ("Shin Watanabe (1 and 2), Rie Sato (1)", ["Shin Watanabe", "Rie Sato"]),
    ("C. Weidner (PUC, Chile & St. Andrews), P. Kroupa (AIfA)", ["C. Weidner", "P. Kroupa"]),
    ("R. Goncalo, for the ATLAS and CMS Collaborations", ["R. Goncalo"]),
    ("Lassina Dembele, with a supplement by Jean-Pierre Serre", ["Lassina Dembele", "Jean-Pierre Serre"]),
    ("Alexandre Anderson and Andy Sand", ["Alexandre Anderson", "Andy Sand"]),
    ("X. Unclosed (Some Inst, Y. Lost", ["X. Unclosed"]),
    ("", []),
])
def test_split_authors(raw, names):
    assert split_authors(raw) == names


@pytest.mark.parametrize(("tex", "text"), [
    ("B\\'ela Bollob\\'as", "Béla Bollobás"),
    ('Matti J\\"arvinen', "Matti Järvinen"),
    ("S{\\l}upi\\'nski", "Słupiński"),
    ("Ferenc Sz\\\"oll\\H{o}si", "Ferenc Szöllősi"),
    ("Petr Mach\\'a\\v{c}ek", "Petr Macháček"),
    ("F. Mu\\~noz", "F. Muñoz"),
    ("S. Bae{\\ss}ler", "S. Baeßler"),
    ("Fran\\c{c}ois", "François"),
    ("Plain Name", "Plain Name"),
])
def test_tex_accents_become_unicode(tex, text):
    assert tex_to_unicode(tex) == text


# -- the recorded responses in ../shared -----------------------------------------------------------
LISTS = {
    "scirate_2014_listrecords_arXivRaw_token_496549-96001_full.xml": ("496549|96001", 907096, 95000),
    "scirate_2014_listrecords_arXivRaw_trimmed5.xml": ("496549|96001", 907096, 95000),
    "litpuvn_2016_listrecords_arXivRaw_from2016-10-20_full.xml": ("1403493|1001", 1440, 0),
    "litpuvn_2016_listrecords_arXivRaw_trimmed5.xml": ("1403493|1001", 1440, 0),
    "litpuvn_2016_getrecord_arXivRaw.xml": (None, None, None),
    "paperhive_2018_getrecord_0.xml": (None, None, None),
    "paperhive_2018_listrecords_arXiv_from2015-01-01_until2015-01-03.xml": (None, None, None),
    "DERIVED_current-service-style_listrecords_arXivRaw_token.xml": ("EXAMPLE_TOKEN_2", None, None),
    "DERIVED_current-service-style_listrecords_arXivRaw_last_page.xml": (None, None, None),
}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_recorded_list_parses(shared_dir, name):
    body = (shared_dir / "fixtures" / "arxiv_oai" / name).read_bytes()
    page = parse_list_records(body)
    assert (page.token, page.complete_list_size, page.cursor) == LISTS[name]
    assert len(page.records) == len(re.findall(rb"<record>", body)) > 0
    assert page.skipped == []
    for rec in page.records:
        normalized = rec.normalized()  # raises RecordError if unstorable
        assert normalized.authors and normalized.categories and normalized.published


@pytest.mark.shared
def test_all_recorded_oai_files_are_covered(shared_dir):
    with_records = {p.name for p in (shared_dir / "fixtures" / "arxiv_oai").glob("*.xml")
                    if b"<record>" in p.read_bytes()}
    assert with_records == set(LISTS)


@pytest.mark.shared
def test_recorded_arxiv_format_record(shared_dir):
    name = "paperhive_2018_listrecords_arXiv_from2015-01-01_until2015-01-03.xml"
    page = parse_list_records((shared_dir / "fixtures" / "arxiv_oai" / name).read_bytes())
    first, second = page.records
    assert (first.arxiv_id, first.authors) == ("1412.8544", ["Sander Uijlen", "Bas Westerbaan"])
    assert (first.doi, first.journal_ref) == ("10.4204/EPTCS.172.11", "EPTCS 172, 2014, pp. 154-164")
    assert first.published == D(2014, 12, 29)
    assert (second.arxiv_id, second.categories) == ("hep-th/9504118", ["hep-th"])


@pytest.mark.shared
def test_recorded_version_history(shared_dir):
    name = "litpuvn_2016_listrecords_arXivRaw_trimmed5.xml"
    rec = by_id(parse_list_records((shared_dir / "fixtures" / "arxiv_oai" / name).read_bytes()))["0803.4354"]
    assert [n for n, _ in rec.versions] == [1, 2, 3, 4, 5, 6]
    assert (rec.version, rec.published, rec.updated) == (6, D(2008, 3, 30), D(2016, 10, 20))


@pytest.mark.shared
def test_non_record_responses_yield_no_records(shared_dir):
    for name in ("paperhive_2018_identify_0.xml", "paperhive_2018_listsets_0.xml",
                 "paperhive_2018_listmetadataformats_0.xml", "paperhive_2018_listidentifiers_0.xml"):
        page = parse_list_records((shared_dir / "fixtures" / "arxiv_oai" / name).read_bytes())
        assert (page.records, page.token) == ([], None)


# -- harvesting over HTTP --------------------------------------------------------------------------
def two_page_server(replay, first=None):
    replay.add("/oai", FIRST_QUERY, *(first or [ok(own_fixture("oai_raw_page1.xml"))]))
    replay.add("/oai", NEXT_QUERY, ok(own_fixture("oai_raw_page2.xml")))


def test_paging_follows_the_token_until_the_empty_one(replay, make_client, clock):
    two_page_server(replay)
    harvester = OaiHarvester(make_client(), base_url=replay.url("/oai"))
    pages = list(harvester.pages(from_date=D(2026, 1, 1), set_spec="cs"))
    assert [[r.arxiv_id for r in p.records] for p in pages] == [["2601.00001", "2601.00002"], ["2601.00004"]]
    assert [p.token for p in pages] == ["fake|1001", None]
    # The follow-up request carries only the verb and the token, as OAI-PMH requires.
    assert [r.query for r in replay.requests] == [{k: [v] for k, v in q.items()}
                                                  for q in (FIRST_QUERY, NEXT_QUERY)]
    assert clock.sleeps == [3.0]


def test_resuming_from_a_stored_token(replay, make_client):
    two_page_server(replay)
    harvester = OaiHarvester(make_client(), base_url=replay.url("/oai"))
    pages = list(harvester.pages(resumption_token="fake|1001"))
    assert [r.arxiv_id for r in pages[0].records] == ["2601.00004"]
    assert len(replay.requests) == 1


@pytest.mark.django_db
def test_truncated_page_is_refetched_and_never_half_applied(replay, make_client):
    cut = own_fixture("oai_raw_page1.xml")
    two_page_server(replay, first=[truncated(cut, keep=len(cut) * 2 // 3, send_length=False), ok(cut)])
    harvester = OaiHarvester(make_client(), base_url=replay.url("/oai"))
    for page in harvester.pages(from_date=D(2026, 1, 1), set_spec="cs"):
        upsert_papers(page.records)
    stored = sorted(Paper.objects.values_list("arxiv_id", flat=True))
    assert stored == ["2601.00001", "2601.00002", "2601.00004"]
    assert len(replay.requests) == 3


@pytest.mark.django_db
def test_a_page_that_never_arrives_whole_applies_nothing(replay, make_client):
    replay.add("/oai", FIRST_QUERY, ok(own_fixture("oai_raw_page1.xml")))
    replay.add("/oai", NEXT_QUERY, truncated(own_fixture("oai_raw_page2.xml"), send_length=False))
    harvester = OaiHarvester(make_client(max_attempts=2), base_url=replay.url("/oai"))
    checkpoint = None
    with pytest.raises(RetriesExhausted):
        for page in harvester.pages(from_date=D(2026, 1, 1), set_spec="cs"):
            upsert_papers(page.records)
            checkpoint = page.token
    assert checkpoint == "fake|1001"  # resume here: page 2 was not applied at all
    assert not Paper.objects.filter(arxiv_id="2601.00004").exists()
    assert Paper.objects.count() == 2


@pytest.mark.shared
def test_recorded_503_retry_after_is_honoured(shared_dir, replay, make_client, clock):
    fixtures = shared_dir / "fixtures" / "arxiv_oai"
    recorded = json.loads((fixtures / "paperhive_2018_listrecords_http503_retry_after.json").read_text())
    headers = dict(zip(recorded["rawHeaders"][::2], recorded["rawHeaders"][1::2], strict=True))
    query = recorded["request"].partition("?")[2]
    body = (fixtures / "paperhive_2018_listrecords_arXiv_from2015-01-01_until2015-01-03.xml").read_bytes()
    busy = unavailable(retry_after=headers["Retry-After"], body=recorded["body"])
    replay.add("/oai2", query, busy, ok(body))
    harvester = OaiHarvester(make_client(), base_url=replay.url("/oai2"), metadata_prefix="arXiv")
    pages = list(harvester.pages(from_date=D(2015, 1, 1), until=D(2015, 1, 3)))
    assert recorded["status"] == 503 and clock.sleeps == [10.0]
    assert len(replay.requests) == 2
    assert [r.arxiv_id for r in pages[0].records] == ["1412.8544", "hep-th/9504118"]


# -- into the database -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_harvested_records_become_paper_rows():
    records = [*parse_list_records(own_fixture("oai_raw_page1.xml")).records,
               *parse_list_records(own_fixture("oai_raw_page2.xml")).records]
    result = upsert_papers(records)
    assert (result.created, result.rejected) == (3, [])
    paper = Paper.objects.get(arxiv_id="2601.00001")
    assert (paper.title, paper.version) == ("Imaginary Transformers for Invented Benchmarks", 3)
    assert (paper.published, paper.updated) == (D(2026, 1, 1), D(2026, 1, 4))
    assert (paper.primary_category, paper.category_codes) == ("cs.CL", "cs.CL cs.AI")
    assert paper.abstract == "We invent a model that does nothing."
    assert [a.name for a in paper.ordered_authors] == ["Ada Q. Testwoman", "Bo Fakeson Jr.", "Céline Exempla"]
    assert list(PaperVersion.objects.filter(paper=paper).values_list("version", "announced")) == [
        (1, D(2026, 1, 1)), (2, D(2026, 1, 2)), (3, D(2026, 1, 4))]
    assert (paper.doi, paper.journal_ref, paper.comment) == ("10.0000/fict.0001", "J. Fict. 1 (2026) 1-9",
                                                             "9 pages, made up")
    assert not Paper.objects.filter(arxiv_id="2601.00003").exists()  # the deleted record
    again = upsert_papers(records)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
