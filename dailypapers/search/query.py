"""The forgiving query language. Every input parses; nothing here raises.

    words   "quoted phrases"   -excluded   -"excluded phrase"   this OR that
    author:"Jane Doe"   author:doe   cat:cs.CL   org:"Lantern Lab"

Anything else is plain text: unbalanced quotes, engine operators (``AND``, ``NEAR(``, ``*``, ``^``,
``~``, unknown ``field:``), control characters, emoji and 10 kB pastes are searched as the words they
contain. Words are turned into index terms later (``keyword.analyze``), so punctuation never reaches
an engine's own parser.
"""

import re
import unicodedata
from dataclasses import dataclass, field

# Longer input is cut: nobody types more, and every word costs a posting-list walk.
MAX_QUERY_CHARS = 1000
MAX_ITEMS = 32
FIELD_ALIASES = {
    "author": "authors", "au": "authors",
    "cat": "categories", "category": "categories",
    "org": "orgs", "organization": "orgs",
}
_TOKEN = re.compile(r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"|(?P<word>[^\s"]+))')


@dataclass(frozen=True)
class Item:
    text: str
    phrase: bool = False


@dataclass
class ParsedQuery:
    # AND of ORs: every group must match, any item of a group will do.
    groups: list[list[Item]] = field(default_factory=list)
    excluded: list[Item] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)

    @property
    def positive_items(self):
        return [item for group in self.groups for item in group]

    @property
    def text(self):
        """The words to embed for the semantic half: what the person is looking for, no operators."""
        return " ".join(item.text for item in self.positive_items)

    @property
    def has_constraints(self):
        return bool(self.excluded or self.authors or self.categories or self.orgs)


def clean(text):
    """Control and format characters become spaces; the result is cut to MAX_QUERY_CHARS."""
    text = unicodedata.normalize("NFC", str(text or ""))[:MAX_QUERY_CHARS]
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def _balanced(text):
    # An unbalanced quote is a typo, not an operator: the last one is dropped.
    if text.count('"') % 2:
        index = text.rfind('"')
        text = text[:index] + " " + text[index + 1 :]
    return text


def parse(text):
    parsed = ParsedQuery()
    pending_or = False
    for match in _TOKEN.finditer(_balanced(clean(text))):
        if len(parsed.positive_items) + len(parsed.excluded) >= MAX_ITEMS:
            break
        pending_or = _take(parsed, match, pending_or)
    return parsed


def _take(parsed, match, pending_or):
    """Add one token to ``parsed``; return whether an ``OR`` now waits for its right-hand side."""
    neg, name, quoted, word = match.group("neg", "field", "quoted", "word")
    value = quoted if quoted is not None else word
    target = FIELD_ALIASES.get(name.lower()) if name else None
    if name and target is None:
        # An unknown field is plain text: `foo:bar` searches foo and bar.
        value, quoted = f"{name} {value}", None
    if target:
        if value.strip():
            getattr(parsed, target).append(" ".join(value.split()))
        return False
    if quoted is None and not neg and value in ("OR", "AND"):
        return value == "OR" and bool(parsed.groups)
    if not value.strip():
        return pending_or
    item = Item(" ".join(value.split()), phrase=quoted is not None)
    if neg:
        parsed.excluded.append(item)
    elif pending_or:
        parsed.groups[-1].append(item)
    else:
        parsed.groups.append([item])
    return False
