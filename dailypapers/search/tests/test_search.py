import datetime as dt

import pytest

from dailypapers.papers.models import Paper
from dailypapers.search import jobs, live
from dailypapers.search.api import Filters, search

pytestmark = pytest.mark.django_db


def ids(results):
    return [hit.paper.arxiv_id for hit in results.hits]


def test_it_finds_by_meaning_what_keyword_search_misses(embedded):
    results = search("machine that picks up things")
    assert ids(results)[0] == "2603.00002"
    assert results.hits[0].matched == {"semantic"}


def test_it_puts_a_rare_exact_term_above_vague_neighbours(embedded):
    results = search("zorblax")
    assert ids(results)[0] == "2603.00003"
    assert "keyword" in results.hits[0].matched
    assert results.hits[0].highlighted_title[0] == {"type": "highlight", "text": "Zorblax"}


def test_it_reindexes_and_searches_the_generation(embedded):
    manifest = jobs.reindex_if_stale()
    assert manifest.papers == 6 and manifest.vectors == 6
    live.reset()
    assert ids(search("zorblax"))[0] == "2603.00003"
    assert jobs.reindex_if_stale() is None  # nothing changed


def test_it_applies_exclusions_and_field_restrictions_to_both_halves(embedded):
    assert "2603.00004" not in ids(search("compression -photographs"))
    assert "2603.00004" in ids(search("compression"))
    assert ids(search("languages author:\"Charlie Gluon\"")) == ["2603.00005"]
    assert set(ids(search("languages cat:cs.CL"))) <= {"2603.00005", "2603.00006"}
    assert ids(search("entropy org:lantern")) == ["2603.00003"]


def test_it_filters_by_date_category_organization_and_code(embedded):
    assert ids(search("learned", filters=Filters(date_to=dt.date(2025, 12, 31)))) == ["2603.00004"]
    featured_later = Filters(date_from=dt.date(2026, 3, 3), date_field="featured")
    assert ids(search("languages", filters=featured_later)) == ["2603.00006"]
    assert ids(search("robot", filters=Filters(has_code=True))) == ["2603.00002"]
    assert set(ids(search("learned", filters=Filters(organization="lantern")))) <= {"2603.00003", "2603.00005"}
    assert all("cs.CL" in hit.paper.categories for hit in search("speech", filters=Filters(category="cs.cl")).hits)


def test_only_filters_lists_every_matching_paper_newest_first(embedded):
    results = search("", filters=Filters(category="cs.CL"))
    assert results.total == 2 and ids(results) == ["2603.00006", "2603.00005"]
    assert search("").total == 0


def test_it_sorts_by_newest_and_by_upvotes(embedded):
    newest = [hit.paper.published for hit in search("learned", sort="newest").hits]
    assert newest == sorted(newest, reverse=True)
    upvotes = [hit.paper.upvotes for hit in search("learned", sort="upvotes").hits]
    assert upvotes == sorted(upvotes, reverse=True)


def test_it_pages_without_overlap_and_counts_every_match(embedded):
    everything = search("learned", limit=100)
    pages = [search("learned", offset=offset, limit=2) for offset in range(0, everything.total, 2)]
    paged = [pk for page in pages for pk in ids(page)]
    assert paged == ids(everything) and len(paged) == everything.total
    assert all(page.total == everything.total for page in pages)
    assert search("learned", offset=everything.total, limit=2).hits == []


def test_an_arxiv_id_or_url_names_the_paper(embedded):
    for query in ("2603.00002", "arXiv:2603.00002v3", "https://arxiv.org/abs/2603.00002"):
        results = search(query)
        assert results.paper.arxiv_id == "2603.00002" and ids(results) == ["2603.00002"]


HOSTILE = [
    '"unbalanced', "NEAR(a b)", "*", "a*b?c", "title:", "^~!@#$%&()[]{}", "\x00\x01\x7f", "😀🤖🧬",
    "x" * 10_000, "AND OR NOT", '-""', "author:", "cat:cs.CL OR", "' OR 1=1 --", "<script>alert(1)</script>",
    "\\", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "中文 检索", "-", ":", '""', "OR",
]


def test_it_never_fails_on_hostile_queries(embedded):
    for query in HOSTILE:
        results = search(query)
        assert results.total >= len(results.hits) >= 0


def test_a_new_paper_is_found_before_any_reindex(embedded):
    from dailypapers.papers.upsert import upsert_papers

    from .conftest import record

    jobs.reindex_if_stale()
    upsert_papers([record(7, "Quasicrystal tilings from aperiodic monotiles", "The hat tile covers the plane.")])
    assert ids(search("quasicrystal")) == ["2603.00007"]  # from the database, keyword half
    jobs.embed_pending()
    assert "2603.00007" in ids(search("tiling the plane with one shape"))  # newer vector, exactly scored
    assert jobs.reindex_if_stale().papers == 7


def test_web_processes_pick_up_a_new_generation_without_restart(embedded):
    from dailypapers.search import store

    first = jobs.reindex_if_stale()
    assert store.current().manifest.name == first.name
    Paper.objects.filter(arxiv_id="2603.00003").update(hidden=True)
    second = jobs.reindex_if_stale(force=True)
    assert second.name != first.name
    assert store.current().manifest.name == second.name  # the next search reads CURRENT and reopens
    assert store.current().manifest.papers == 5
    assert "2603.00003" not in ids(search("zorblax"))


def test_a_hidden_paper_never_shows(embedded):
    Paper.objects.filter(arxiv_id="2603.00003").update(hidden=True)
    assert "2603.00003" not in ids(search("zorblax entropy"))


def test_hnsw_above_the_threshold_finds_the_same_papers(embedded, settings):
    exact = ids(search("machine that picks up things"))
    settings.SEARCH_HNSW_THRESHOLD = 1
    manifest = jobs.reindex_if_stale(force=True)
    live.reset()
    assert manifest.hnsw
    assert ids(search("machine that picks up things"))[:3] == exact[:3]


def test_it_pages_through_tied_scores_showing_each_paper_once(db):
    from dailypapers.papers.upsert import upsert_papers

    from .conftest import record

    def tied(numbers):
        # Identical text: every paper gets the same BM25 score and the same published day.
        return [record(n, "Lattice sieving", "We sieve lattices.", categories=["cs.CR"]) for n in numbers]

    upsert_papers(tied(range(1, 91)))
    jobs.reindex_if_stale()  # 90 in the generation, 40 newer than it: both keyword indexes answer
    upsert_papers(tied(range(91, 131)))
    for query, filters, sort in (("lattice", None, "relevance"), ("", Filters(category="cs.CR"), "newest"),
                                 ("lattice", None, "upvotes")):
        pages = [search(query, filters=filters, sort=sort, offset=offset, limit=20) for offset in range(0, 140, 20)]
        seen = [arxiv_id for page in pages for arxiv_id in ids(page)]
        assert len(seen) == len(set(seen)) == 130 == pages[0].total, (query, sort)


def test_the_fused_order_does_not_depend_on_how_deep_the_keyword_list_was_read():
    from dailypapers.search import api

    keyword_pks, semantic_pks = list(range(1, 301)), [250, 7, 999]  # 250: a deep keyword hit, also semantic
    shallow, _ = api.fused_order(keyword_pks[:120], semantic_pks)
    deep, scores = api.fused_order(keyword_pks, semantic_pks)
    assert deep[:120] == shallow[:120]
    assert sorted(deep) == sorted(set(keyword_pks) | {999}) and set(scores) == set(deep)


def _namesakes():
    from dailypapers.papers.upsert import upsert_papers

    from .conftest import record

    # The near-namesake says the query's words more often: BM25 and the fused order both put it first.
    upsert_papers([
        record(8, "Zorblax Technical Report", "A short note."),
        record(9, "Zorblax-V2 Technical Report", "This technical report on Zorblax reports the Zorblax "
                                                   "report: technical details of Zorblax, reported."),
    ])


@pytest.mark.parametrize("reindexed", [False, True])
def test_a_pasted_title_puts_that_paper_first(embedded, reindexed):
    from dailypapers.search import api

    _namesakes()
    jobs.embed_pending()
    if reindexed:
        jobs.reindex_if_stale()
    live.reset()
    snap = live.snapshot()
    fused, _ = api.fused_order([pk for pk, _ in api.keyword_top(snap, _text("Zorblax Technical Report"), 100)[0]],
                               [pk for pk, _ in api.vector_top(snap, "Zorblax Technical Report")])
    assert Paper.objects.get(pk=fused[0]).arxiv_id == "2603.00009"  # without the rule the namesake leads
    for query in ("Zorblax Technical Report", "zorblax: technical REPORTS!", "Zorblax Technical Report -cats"):
        results = search(query)
        assert ids(results)[:2] == ["2603.00008", "2603.00009"], query
        assert results.hits[0].score > results.hits[1].score and "keyword" in results.hits[0].matched
    # Not a title query: an OR, or words the title does not have; a constraint still applies.
    assert ids(search("Zorblax Technical OR Report"))[0] == "2603.00009"
    assert ids(search("Zorblax Technical Report -note"))[0] == "2603.00009"


def _text(query):
    from dailypapers.search import keyword
    from dailypapers.search.query import parse

    return keyword.text_query(parse(query))


def test_a_generation_written_before_title_keys_is_searched_and_rebuilt(embedded):
    import shutil

    import tantivy

    from dailypapers.search import build, corpus, keyword, store

    _namesakes()
    manifest = jobs.reindex_if_stale()
    # The generation's Tantivy index as version 1 wrote it: the same fields, without title_key.
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("pk", indexed=True, fast=True)
    for name in (*keyword.FIELD_BOOSTS, "org"):
        builder.add_text_field(name, tokenizer_name=keyword.ANALYZER)
    for name in ("categories", "org_slug"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in ("published", "featured"):
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_unsigned_field("has_code", indexed=True, fast=True)
    path = store.index_root() / manifest.name / "tantivy"
    shutil.rmtree(path)
    path.mkdir()
    old = tantivy.Index(builder.build(), path=str(path))
    old.register_tokenizer(keyword.ANALYZER, keyword._analyzer())
    writer = old.writer(15_000_000, 1)
    for row in corpus.rows():
        document = tantivy.Document()
        document.add_unsigned("pk", row.pk)
        document.add_text("title", row.title)
        document.add_text("abstract", row.abstract)
        writer.add_document(document)
    writer.commit()
    writer.wait_merging_threads()
    live.reset()
    assert store.current().keyword.version == 1
    assert ids(search("Zorblax Technical Report"))[0] == "2603.00009"  # searched, without the lead
    assert build.is_stale(store.current())
    jobs.reindex_if_stale()
    assert store.current().keyword.version == keyword.SCHEMA_VERSION
    assert ids(search("Zorblax Technical Report"))[0] == "2603.00008"


def test_a_page_of_no_hits_still_counts_the_matches(embedded):
    # limit=0 reached Tantivy as "top 0", which panics there (PanicException is no Exception).
    results = search("", filters=Filters(category="cs.CL"), limit=0)
    assert results.total == 2 and results.hits == []
    assert search("learned", limit=0).total >= 2
