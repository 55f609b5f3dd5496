import datetime as dt

import pytest

from dailypapers.papers.models import Paper
from dailypapers.papers.upsert import upsert_papers
from dailypapers.sources import arxiv_api, arxiv_oai, arxiv_rss
from dailypapers.sources.arxiv_rss import ANNOUNCE_TYPES, ArxivRss, parse_feed
from dailypapers.sources.xml import UnsafeXmlError, XmlParseError, parse_xml

from .conftest import own_fixture
from .replay import ok

D = dt.date
FLAVOURS = ["rss_cs.XX.rss.xml", "rss_cs.XX.atom.xml"]


def by_id(announcements):
    return {a.record.arxiv_id: a for a in announcements}


def test_rss_items_with_announce_types():
    items = parse_feed(own_fixture("rss_cs.XX.rss.xml"))
    assert [(a.announce_type, a.record.arxiv_id, a.record.version) for a in items] == [
        ("new", "2601.00020", 1),
        ("cross", "2601.00021", 1),
        ("replace", "2601.00001", 3),
        # No arxiv:announce_type element: the type is read from the description.
        ("replace-cross", "2512.09999", 2),
    ]  # the repeated 2601.00020 item appears once
    assert {a.announced for a in items} == {D(2026, 1, 5)}


def test_rss_record_fields():
    items = by_id(parse_feed(own_fixture("rss_cs.XX.rss.xml")))
    new = items["2601.00020"].record
    assert (new.title, new.abstract) == ("Fake New Paper", "A brand new invented paper.")
    assert (new.authors, new.categories) == (["Mia Fiction", "Ned Invent"], ["cs.CL", "cs.AI"])
    assert (new.published, new.updated, new.comment, new.doi) == (None, None, None, None)
    replaced = items["2601.00001"].record
    assert replaced.authors == ["Ada Q. Testwoman", "Bo Fakeson Jr.", "Céline Exempla"]
    assert (replaced.doi, replaced.journal_ref) == ("10.0000/fict.0001", "J. Fict. 1 (2026) 1-9")
    assert items["2601.00021"].record.categories == ["cs.LG", "cs.CL"]  # the primary stays first


def test_atom_flavour_in_any_element_order():
    items = by_id(parse_feed(own_fixture("rss_cs.XX.atom.xml")))
    assert {k: (a.announce_type, a.record.version) for k, a in items.items()} == {
        "2601.00020": ("new", 1), "2601.00001": ("replace", 3), "2601.00021": ("cross", 1)}
    assert items["2601.00001"].record.title == "Imaginary Transformers for Invented Benchmarks"
    assert items["2601.00020"].announced == D(2026, 1, 5)


def test_announcements_unpack_as_pairs():
    announce_type, record, _ = parse_feed(own_fixture("rss_cs.XX.rss.xml"))[0]
    assert (announce_type, record.arxiv_id) == ("new", "2601.00020")


def test_duplicates_keep_the_highest_version():
    # Only the second (repeated) item names v2: its guid is followed by a single category.
    tail = b"</guid>\n      <category>cs.CL</category>\n      <pubDate>"
    body = own_fixture("rss_cs.XX.rss.xml").replace(b"2601.00020v1" + tail, b"2601.00020v2" + tail)
    assert body != own_fixture("rss_cs.XX.rss.xml")
    items = by_id(parse_feed(body))
    assert items["2601.00020"].record.version == 2


def test_empty_weekend_feed():
    body = (b'<rss version="2.0"><channel><title>cs.XX</title>'
            b"<skipDays><day>Sunday</day></skipDays></channel></rss>")
    assert parse_feed(body) == []


def test_fetch_over_http(replay, make_client):
    replay.add("/rss/cs.CL+cs.AI", None, ok(own_fixture("rss_cs.XX.rss.xml")))
    items = ArxivRss(make_client(), base_url=replay.url("")).fetch(["cs.CL", "cs.AI"])
    assert len(items) == 4 and replay.requests[0].path == "/rss/cs.CL+cs.AI"


@pytest.mark.shared
@pytest.mark.parametrize("suffix", ["rss.xml", "atom.xml"])
def test_recorded_feeds_parse(shared_dir, suffix):
    path = shared_dir / "fixtures" / "arxiv_rss" / f"RECONSTRUCTED_rss.arxiv.org_cs.CL_2026-07-01.{suffix}"
    items = parse_feed(path.read_bytes())
    assert [a.announce_type for a in items] == ["new"] * 6 + ["cross"] * 3
    assert len(by_id(items)) == 9
    first = items[0].record.normalized()
    assert (first.arxiv_id, first.version, first.categories) == ("2606.30775", 1, ["cs.CL", "cs.AI"])
    assert first.title.startswith("A Single Rewrite Suffices")
    assert first.abstract.startswith("Enterprise AI agents route") and "Announce Type" not in first.abstract
    assert first.authors[:2] == ["Yangqiaoyu Zhou", "Mohammad Alqudah"] and len(first.authors) == 6
    assert {a.announced for a in items} == {D(2026, 7, 1)}
    assert all(a.announce_type in ANNOUNCE_TYPES for a in items)


@pytest.mark.shared
def test_recorded_rss_and_atom_agree(shared_dir):
    folder = shared_dir / "fixtures" / "arxiv_rss"
    rss, atom = (parse_feed((folder / f"RECONSTRUCTED_rss.arxiv.org_cs.CL_2026-07-01.{s}").read_bytes())
                 for s in ("rss.xml", "atom.xml"))
    strip = [(a.announce_type, {**a.record.normalized().__dict__, "origin": ""}) for a in rss]
    assert strip == [(a.announce_type, {**a.record.normalized().__dict__, "origin": ""}) for a in atom]


@pytest.mark.django_db
def test_feed_records_become_paper_rows_and_agree_with_oai():
    upsert_papers(arxiv_oai.parse_list_records(own_fixture("oai_raw_page1.xml")).records)
    items = parse_feed(own_fixture("rss_cs.XX.rss.xml"))
    result = upsert_papers(a.record for a in items)
    assert (result.created, result.updated, result.unchanged, result.rejected) == (3, 0, 1, [])
    cross = Paper.objects.get(arxiv_id="2601.00021")
    assert (cross.primary_category, cross.published) == ("cs.LG", None)
    assert cross.title == "Fake Cross-Listed Paper"
    assert Paper.objects.get(arxiv_id="2512.09999").version == 2


# -- the shared XML guard --------------------------------------------------------------------------
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><item><title>&lol2;</title></item></channel></rss>"""


@pytest.mark.parametrize("parse", [parse_xml, arxiv_rss.parse_feed, arxiv_api.parse_feed,
                                   arxiv_oai.parse_list_records])
def test_every_parser_refuses_entity_declarations(parse):
    with pytest.raises(UnsafeXmlError):
        parse(BOMB)


def test_lone_entity_declaration_is_refused_too():
    with pytest.raises(UnsafeXmlError):
        parse_xml(b'<x><!ENTITY a "b"></x>')


def test_malformed_xml_is_a_retryable_parse_error():
    with pytest.raises(XmlParseError):
        parse_xml(b"<rss><channel><item><title>cut of")
