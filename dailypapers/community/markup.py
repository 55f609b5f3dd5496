"""Comments in a safe Markdown subset: emphasis, code, lists, quotes, paragraphs and http(s) links.

Raw HTML is never passed through (it shows as text), images and headings are off, and every link gets
``rel="nofollow ugc noopener"`` so comment spam earns no ranking. Only http(s) and mailto links are
made; ``javascript:`` and ``data:`` URLs stay plain text.

Comments store their HTML (``Comment.body_html``) with the ``VERSION`` that made it, so pages never run
the parser; a text with more than ``MAX_MARKS`` Markdown punctuation characters is shown as plain text,
which bounds the parser's work per comment whatever the input.
"""

from functools import lru_cache

from django.utils.html import linebreaks
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

# Bump whenever render() would give different HTML for the same text: stored comments then re-render.
VERSION = 2
# The characters that start inline Markdown constructs, whose count drives the parser's work.
MARKS = frozenset("[]*_`<\\")
MAX_MARKS = 400

LINK_SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "nofollow ugc noopener"
OFF_RULES = ["image", "heading", "lheading", "html_block", "html_inline", "hr"]


def _link_open(self, tokens, idx, options, env):
    tokens[idx].attrSet("rel", LINK_REL)
    return self.renderToken(tokens, idx, options, env)


@lru_cache(maxsize=1)
def _parser():
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})
    md.disable(OFF_RULES)
    md.validateLink = lambda url: url.strip().lower().startswith(LINK_SCHEMES)
    md.add_render_rule("link_open", _link_open)
    return md


def render(text):
    """HTML for a comment body; safe to output unescaped."""
    text = text or ""
    if sum(char in MARKS for char in text) > MAX_MARKS:
        return linebreaks(text, autoescape=True)  # escaped paragraphs: no parser, linear time
    return mark_safe(_parser().render(text))  # noqa: S308 - html=False escapes all input
