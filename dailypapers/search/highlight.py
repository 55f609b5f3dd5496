"""Highlights in the Hugging Face format: ``[{"type": "text"|"highlight", "text": …}, …]``.

A word is highlighted when its index term is a term of the query, so "running" lights up for a search
of "run", exactly as the index matched it. A word is what the index's tokenizer makes one: a run of
letters and digits. Segments are plain strings: templates escape them like any other text. Stop words
("for", "the") are not highlighted on their own, only inside a quoted phrase or when the query has
nothing else: lit up everywhere they drown the words that matter.
"""

import functools
import re
import unicodedata

from . import keyword

SNIPPET_CHARS = 280
LEAD_CHARS = 60
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as the index's simple tokenizer cuts words
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "how", "in", "into",
    "is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "this", "to", "via", "was", "we",
    "what", "when", "which", "while", "who", "why", "will", "with", "without",
})


def query_terms(parsed):
    """The index terms to highlight: every term of a quoted phrase, and the other words but stop words
    (all of them when the query is nothing but stop words)."""
    kept, stop = set(), set()
    for item in parsed.positive_items:
        for word in _WORD.findall(item.text):
            terms = keyword.analyze(word)
            (stop if word.lower() in STOP_WORDS and not item.phrase else kept).update(terms)
    return kept or stop


def spans(text, terms):
    """(start, end) of every word of ``text`` that carries a query term."""
    if not terms:
        return []
    if text.isascii():
        # Only words that begin like a query term are analyzed: English stemming rewrites at most a
        # word's last two letters ("dying" -> "die"), so a word whose term is a query term starts with
        # that term less its last two letters, and folding never changes ASCII. str.find runs in C;
        # walking every word of every abstract in Python was most of a search's highlighting time.
        candidates = _ascii_candidates(text, {term[: max(1, len(term) - 2)] for term in terms})
    else:
        # Accents fold away in the index ("résumé" -> "resum"): check the folded first two letters.
        heads = {term[:2] for term in terms}
        candidates = (m for m in _WORD.finditer(text) if _head(m.group()) in heads)
    found = {(m.start(), m.end()) for m in candidates if terms.intersection(keyword.analyze(m.group()))}
    return sorted(found)


def _ascii_candidates(text, prefixes):
    """The words of ``text`` (ASCII) that start with one of ``prefixes`` (lower case), as matches."""
    lowered = text.lower()
    for prefix in prefixes:
        at = lowered.find(prefix)
        while at >= 0:
            if at == 0 or not lowered[at - 1].isalnum():
                word = _WORD.match(text, at)
                yield word
                at = lowered.find(prefix, word.end())
            else:
                at = lowered.find(prefix, at + 1)


@functools.lru_cache(maxsize=65536)
def _head(word):
    folded = unicodedata.normalize("NFKD", word[:4].lower())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))[:2]


def segments(text, found, start=0, end=None):
    """``text[start:end]`` cut into text and highlight segments; adjacent highlights join with their gap
    when it is only white space, so a phrase reads as one highlight."""
    end = len(text) if end is None else end
    out, cursor = [], start
    for s, e in found:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        gap = text[cursor:s]
        if gap and out and out[-1]["type"] == "highlight" and not gap.strip():
            out[-1]["text"] += gap + text[s:e]
        else:
            if gap:
                out.append({"type": "text", "text": gap})
            out.append({"type": "highlight", "text": text[s:e]})
        cursor = e
    if cursor < end:
        out.append({"type": "text", "text": text[cursor:end]})
    return out


def snippet_window(text, found, size=SNIPPET_CHARS):
    """(start, end) of a ~``size``-character window at word boundaries, starting a little before the
    first highlight (or at the top)."""
    if len(text) <= size:
        return 0, len(text)
    start = max(0, found[0][0] - LEAD_CHARS) if found else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < found[0][0] else start
    start = min(start, max(0, len(text) - size))
    end = text.rfind(" ", start, start + size)
    return start, (end if end > start else start + size)


def snippet(text, terms, found=None):
    """``(plain snippet, its segments)``; "…" marks cut ends. ``found``: spans already computed."""
    found = spans(text, terms) if found is None else found
    start, end = snippet_window(text, found)
    parts = segments(text, found, start, end)
    if start > 0:
        parts.insert(0, {"type": "text", "text": "…"})
    if end < len(text):
        parts.append({"type": "text", "text": "…"})
    return "".join(p["text"] for p in parts), _merge_text(parts)


def _merge_text(parts):
    merged = []
    for part in parts:
        if merged and part["type"] == "text" and merged[-1]["type"] == "text":
            merged[-1]["text"] += part["text"]
        else:
            merged.append(part)
    return merged


def highlighted(text, terms):
    return segments(text, spans(text, terms))
