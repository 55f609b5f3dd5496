import pytest
from django.db import connections

from . import site


@pytest.fixture
def built(transactional_db, browser_page):
    """The site's rows. Torn down before the browser: the queries a test makes while Playwright runs get
    connections of their own, which must be closed while it still runs or PostgreSQL cannot drop the
    test database."""
    member, day = site.build()
    yield member, day
    connections.close_all()
