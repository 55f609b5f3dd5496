import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from .world import build_world


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One World per test module, built in a transaction rolled back after the module's last test.

    The route-walking modules run a few hundred tests against the same objects; each test still runs in
    its own savepoint inside this transaction (the ``db`` fixture), so whatever it writes is undone.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        world = build_world()
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(shared_world, db):
    for name in settings.CACHES:  # rate-limit counters and page versions outlive a test
        caches[name].clear()
    # A test's writes are rolled back, but not the attributes of these instances (force_login sets
    # last_login, which password-reset tokens hash): re-read them.
    for row in (shared_world.alice, shared_world.bob, shared_world.mod, shared_world.subscription):
        row.refresh_from_db()
    return shared_world
