from dailypapers.api.tests.corpus import alice, collected, corpus, fresh_cache  # noqa: F401
