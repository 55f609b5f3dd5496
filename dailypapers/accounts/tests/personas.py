"""The personas as fixtures, for the papers and community tests (their conftests import them).

Each starts from empty caches: rate-limit counters and cached pages outlive a test.
"""

import pytest
from django.conf import settings
from django.core.cache import caches

from dailypapers.accounts.tests.people import make_user


@pytest.fixture
def fresh_limits():
    """Rate-limit counters and cached pages live in caches that outlive a test: start at zero."""
    for name in settings.CACHES:
        caches[name].clear()


@pytest.fixture
def alice(db, fresh_limits):
    return make_user("alice")


@pytest.fixture
def bob(db, fresh_limits):
    return make_user("bob")


@pytest.fixture
def charlie(db, fresh_limits):
    """Signed up but has not confirmed the email yet."""
    return make_user("charlie", verified=False)


@pytest.fixture
def moderator(db, fresh_limits):
    return make_user("mod", staff=True, is_superuser=True)
