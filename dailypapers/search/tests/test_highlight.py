from dailypapers.search import highlight, keyword
from dailypapers.search.query import parse


def terms(query):
    return highlight.query_terms(parse(query))


def test_it_highlights_words_by_their_index_terms_in_the_hugging_face_format():
    segments = highlight.highlighted("Running robots run fast", terms("run"))
    assert segments == [
        {"type": "highlight", "text": "Running"}, {"type": "text", "text": " robots "},
        {"type": "highlight", "text": "run"}, {"type": "text", "text": " fast"},
    ]


def test_it_joins_a_phrase_into_one_highlight():
    segments = highlight.highlighted("a neural network here", terms('"neural network"'))
    assert {"type": "highlight", "text": "neural network"} in segments


def test_it_cuts_a_snippet_around_the_first_match():
    text = " ".join(f"word{i}" for i in range(200)) + " zorblax " + " ".join(f"tail{i}" for i in range(200))
    plain, segments = highlight.snippet(text, terms("zorblax"))
    assert plain.startswith("…") and plain.endswith("…")
    assert len(plain) <= highlight.SNIPPET_CHARS + 2
    assert {"type": "highlight", "text": "zorblax"} in segments
    assert "".join(s["text"] for s in segments) == plain


def test_it_keeps_a_short_text_whole_and_unhighlighted_without_terms():
    assert highlight.snippet("Short abstract.", set()) == ("Short abstract.", [{"type": "text",
                                                                               "text": "Short abstract."}])
    assert highlight.highlighted("", terms("x")) == []


def word_by_word(text, query_terms):
    """The definition of a highlight: every word (a run of letters and digits) whose term is a query's."""
    return [(m.start(), m.end()) for m in highlight._WORD.finditer(text)
            if query_terms.intersection(keyword.analyze(m.group()))]


def test_the_fast_ascii_path_finds_exactly_the_words_a_word_by_word_walk_finds():
    # Stemming rewrites the end of some words ("dying" -> "die", "studies" -> "studi", "happy" ->
    # "happi"); tokens split at underscores and punctuation; digits are words too.
    text = ("Dying stars die; lying models lie. Studies study happy, happier ties tying x_tie. "
            "Re-running 2024 runs ran RUN run_time running3")
    for query in ("die", "lie", "study", "happy", "tie", "run", "2024", "running3", "ran"):
        query_terms = terms(query)
        assert highlight.spans(text, query_terms) == word_by_word(text, query_terms), query
    assert [text[s:e] for s, e in highlight.spans(text, terms("die"))] == ["Dying", "die"]
    assert [text[s:e] for s, e in highlight.spans(text, terms("tie"))] == ["ties", "tying", "tie"]


def test_accented_text_is_highlighted_through_folding():
    text = "Un résumé des résumés, sans resume"
    assert [text[s:e] for s, e in highlight.spans(text, terms("resume"))] == ["résumé", "résumés", "resume"]


def test_it_leaves_stop_words_unlit_unless_quoted_or_alone():
    text = "Tides for optimizers: learning for the moon"
    lit = [s["text"] for s in highlight.highlighted(text, terms("learning for tides")) if s["type"] == "highlight"]
    assert lit == ["Tides", "learning"]
    lit = [s["text"] for s in highlight.highlighted(text, terms('"learning for the moon"'))
           if s["type"] == "highlight"]
    assert "learning for the moon" in lit  # the phrase reads as one highlight
    assert terms("for the") == set(keyword.analyze("for")) | set(keyword.analyze("the"))
