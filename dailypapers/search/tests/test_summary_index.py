"""The index matches Hugging Face's AI summary and keywords as abstract text (search/corpus.py)."""

import pytest

from dailypapers.papers.models import Paper
from dailypapers.search import jobs, live
from dailypapers.search.api import search

pytestmark = pytest.mark.django_db


def test_a_paper_is_found_by_words_only_its_ai_summary_or_keywords_have(embedded):
    Paper.objects.filter(arxiv_id="2603.00001").update(ai_summary="Quuxifrage routing beats every baseline.")
    Paper.objects.filter(arxiv_id="2603.00004").update(keywords=["blorptastic lattices"])
    def keyword_hits(query):
        return [hit.paper.arxiv_id for hit in search(query).hits if "keyword" in hit.matched]

    # Papers newer than the index are matched from the database through the same rows, then the index.
    assert keyword_hits("quuxifrage") == ["2603.00001"]
    assert jobs.reindex_if_stale(force=True) is not None
    live.reset()
    assert keyword_hits("quuxifrage") == ["2603.00001"]
    assert keyword_hits("blorptastic") == ["2603.00004"]
