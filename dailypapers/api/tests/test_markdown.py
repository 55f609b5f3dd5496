"""``/papers/<id>.md``: the paper page as Markdown, safe to hand to any Markdown renderer."""

import re

import pytest
from markdown_it import MarkdownIt

pytestmark = pytest.mark.django_db


def test_it_has_what_the_paper_page_has(client, corpus):
    response = client.get("/papers/2603.00001.md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == """\
# Paper number 1

- **Authors:** Alice Quark, Bob Lepton, Author 1
- **Published:** 2026-03-01
- **arXiv:** [2603.00001](https://arxiv.org/abs/2603.00001) · [PDF](https://arxiv.org/pdf/2603.00001) · \
[HTML](https://arxiv.org/html/2603.00001)
- **Categories:** cs.LG, cs.CV
- **Organization:** Lantern Lab
- **Code:** <https://github.com/alice/lanterns> (1234 stars)
- **Project page:** <https://lanterns.example.org>
- **Featured:** 2026-03-02, submitted by dana
- **Upvotes:** 52
- **Comments:** 3
- **Page:** <http://testserver/papers/2603.00001>

## Abstract

Abstract of paper 1.

## Keywords

light routing, lanterns
"""


def test_hostile_text_stays_text_in_a_markdown_renderer(client, corpus):
    text = client.get("/papers/2603.00002.md").content.decode()
    # Every "<" is backslash-escaped, except those opening our own <https://…> autolinks.
    assert re.findall(r"(?<!\\)<(?!https?://)", text) == []
    html = MarkdownIt("commonmark").render(text)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; $&lt;$" in html  # shown as the title reads
    assert "\\alpha_{i}" in text  # LaTeX reads as written


@pytest.mark.parametrize(("url", "title"), [
    ("/papers/2603.00001v2.md", "# Paper number 1\n"),
    ("/papers/astro-ph/0601001.md", "# An old-style paper\n"),
    ("/papers/2603.00007.md", "# Never featured\n"),
])
def test_any_id_form_finds_the_paper(client, corpus, url, title):
    assert client.get(url).content.decode().startswith(title)


@pytest.mark.parametrize("url", ["/papers/2603.09999.md", "/papers/2603.00008.md", "/papers/nonsense.md"])
def test_unknown_hidden_or_invalid_is_a_plain_404(client, corpus, url):
    response = client.get(url)
    assert response.status_code == 404 and response["Content-Type"].startswith("text/plain")


def test_the_paper_page_itself_is_untouched(client, corpus):
    response = client.get("/papers/2603.00001")
    assert response.status_code == 200 and "papers/detail.html" in [t.name for t in response.templates]
