import pytest
from django.conf import settings
from django.core.cache import caches

from .people import make_user


@pytest.fixture(autouse=True)
def fresh_limits():
    """Rate-limit counters and cached pages live in caches that outlive a test: start each test at zero."""
    for name in settings.CACHES:
        caches[name].clear()


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def charlie(db):
    return make_user("charlie", verified=False)
