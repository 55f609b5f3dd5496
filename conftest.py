"""Test-wide setup: fast, self-contained settings and the fixtures for optional outside parts.

Outside parts are the third-party data in ``../shared``, Chromium and (through
``scripts/with-postgres``) PostgreSQL. Locally a test that lacks one skips and says why; under
``CI=true`` the same test fails instead, so CI can never pass by skipping.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1")

# Never let Playwright fetch a browser of its own: tests drive the system Chromium.
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"

# A private DAILYPAPERS_HOME for the whole session. pytest-django imports the settings module before
# any conftest runs (in its pytest_load_initial_conftests hook), so settings.py has already read the
# variable by now: the environment variable covers subprocesses (the `dailypapers` command) and
# pytest_configure below moves the settings derived from it.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="dailypapers-test-home-"))
(_SESSION_HOME / "static").mkdir()  # WhiteNoise warns about a missing STATIC_ROOT
atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)
os.environ["DAILYPAPERS_HOME"] = str(_SESSION_HOME)
os.environ["SEARCH_MODEL_DIR"] = str(_SESSION_HOME / "model")

TEST_SETTINGS = {
    "HOME": _SESSION_HOME,
    "STATIC_ROOT": _SESSION_HOME / "static",
    # Static files come straight from the finders: no collectstatic, no manifest.
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    "WHITENOISE_USE_FINDERS": True,
    # Account mails go out in the request, so a test reads mail.outbox as soon as the view answers
    # (accounts/tests/test_limits.py turns the background thread back on for the timing test).
    "EMAIL_IN_BACKGROUND": False,
    # Pages render fresh in tests; papers/tests/test_pagecache.py switches the cache on for itself.
    "PAGE_CACHE_SECONDS": 0,
    # The shared cache (page versions, rate-limit counters) under the session's home, not ./var; or the
    # Redis that CACHE_URL names (scripts/with-redis, in the PostgreSQL pass of `make test`).
    "CACHES": settings.CACHES if os.environ.get("CACHE_URL") else {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {"BACKEND": "dailypapers.lib.sqlitecache.SQLiteCache",
                   "LOCATION": str(_SESSION_HOME / "cache.sqlite3")},
    },
    # MD5 hashes new passwords fast; argon2/PBKDF2 still verify stored hashes. A test about the real
    # hasher sets it back through the `settings` fixture:
    #     settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    # `embed` in-process only: helper processes would open the site's database, not the test one
    # (search/tests/test_embed.py runs --processes 2 as subprocesses on the test database).
    "SEARCH_EMBED_PROCESSES": 1,
    # The ONNX model files, built once for the session (``search_model`` below) and shared by every test
    # and by the `dailypapers` subprocesses tests start (the environment variable).
    "SEARCH_MODEL_DIR": str(_SESSION_HOME / "model"),
    # Absolute links (emails, feeds, API URLs) name the site by SITE_URL, never by the request's Host
    # (lib/siteurl.py): the test client's host. Tests of the fallback set it to "" themselves.
    "SITE_URL": "http://testserver",
    "PASSWORD_HASHERS": [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ],
}


def pytest_configure(config):
    from django.conf import settings
    from django.test.utils import override_settings

    # override_settings (rather than assignment) sends setting_changed, which resets the caches that
    # depend on these settings (storages, password hashers).
    override_settings(**TEST_SETTINGS).enable()
    # settings.py put the SQLite test database (DATABASES TEST NAME) under the old home: move it along.
    test_db = settings.DATABASES["default"].get("TEST", {})
    if test_db.get("NAME") and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        test_db["NAME"] = str(_SESSION_HOME / Path(test_db["NAME"]).name)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"dailypapers: database engine {engine}, CI={'true' if IN_CI else 'unset'}, home {_SESSION_HOME}"]


def missing(problem, tests):
    """Skip the current test for want of an outside part locally; fail it under CI=true."""
    if IN_CI:
        pytest.fail(f"{problem}: {tests} cannot run, and under CI=true a missing part is a failure", pytrace=False)
    pytest.skip(f"{problem}: {tests} skipped")


@pytest.fixture(scope="session")
def shared_dir():
    """The read-only shared data directory: $DAILYPAPERS_SHARED, else ../shared next to the repo."""
    path = Path(os.environ.get("DAILYPAPERS_SHARED") or REPO_ROOT.parent / "shared").resolve()
    if not path.is_dir():
        missing(f"{path} (../shared, or $DAILYPAPERS_SHARED) not found", "third-party data tests")
    return path


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def chromium_path():
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} not found (apt-get install chromium)", "browser tests")
    return CHROMIUM


@pytest.fixture
def browser_page(chromium_path, monkeypatch):
    """A fresh Playwright page in headless system Chromium, 1280x800, closed after the test."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -e '.[test]')", "browser tests")
    # The sync API keeps an asyncio loop in this thread, which makes Django refuse ORM calls made from
    # the test body; the live server runs in its own thread and is unaffected. Undone after the test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
        finally:
            browser.close()


@pytest.fixture(scope="session", autouse=True)
def search_model():
    """The ONNX model files for this CPU, built once per session as ``serve`` builds them at start."""
    from dailypapers.search.setup import prepare_search

    prepare_search()


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test starts with an empty page cache (local memory): a database rolled back between tests
    reuses primary keys, so a page or discussion cached by an earlier test must not answer a later one."""
    from django.core.cache import caches

    caches["default"].clear()
