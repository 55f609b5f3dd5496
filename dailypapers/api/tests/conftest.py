# The local stand-in for the arXiv API that the web submit tests use: API submissions go through it too.
from dailypapers.community.tests.test_submit import arxiv  # noqa: F401

from .corpus import alice, collected, corpus, fresh_cache  # noqa: F401
