from dailypapers.search import highlight
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
