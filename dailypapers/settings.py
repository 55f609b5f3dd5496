"""One settings module, read from the environment through small typed helpers.

Zero configuration gives a working site on SQLite under ``$DAILYPAPERS_HOME`` (default ``./var``);
``DATABASE_URL``, ``SECRET_KEY``, ``DEBUG`` and ``ALLOWED_HOSTS`` switch on the rest.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dailypapers.lib.email_url import BadEmailUrl, EmailConfig, parse_email_url

BASE_DIR = Path(__file__).resolve().parent


def envbool(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def envint(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def envlist(name, default):
    """Comma-separated; set but empty means an empty list (e.g. SOURCES_ENABLED= turns sources off)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


HOME = Path(os.environ.get("DAILYPAPERS_HOME") or "var").resolve()
HOME.mkdir(parents=True, exist_ok=True)


def _secret_key():
    """SECRET_KEY from the environment, else one generated once into $DAILYPAPERS_HOME."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = HOME / "secret_key"
    if not path.exists():
        # Written aside, then linked into place: two processes starting at once each try, exactly one
        # link succeeds, and nobody ever reads a file that exists but is still empty.
        tmp = HOME / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
SITE_NAME = os.environ.get("SITE_NAME", "Daily Papers")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "dailypapers.accounts",
    "dailypapers.papers",
    "dailypapers.community",
    "dailypapers.sources",
    "dailypapers.ops",
    "ninja",  # serves /api/docs from its own static files, not a CDN
    "dailypapers.api",
    "dailypapers.feeds",
    "dailypapers.search",
    "dailypapers.digests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dailypapers.ops.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dailypapers.ops.middleware.DatabaseUnavailableMiddleware",
    "dailypapers.api.negotiation.PaperMarkdownMiddleware",
]

ROOT_URLCONF = "dailypapers.urls"
WSGI_APPLICATION = "dailypapers.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dailypapers.papers.context_processors.site",
            ],
        },
    },
]


def _database():
    url = os.environ.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{HOME / 'dailypapers.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=envint("CONN_MAX_AGE", 60), conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # IMMEDIATE: a write transaction takes the lock when it starts, so two writers queue on the
            # busy timeout instead of one failing with "database is locked" halfway through.
            "transaction_mode": "IMMEDIATE",
            "timeout": envint("SQLITE_BUSY_TIMEOUT_S", 20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
        # Tests use a file too: WAL, locking and backups then behave as in production (not in-memory).
        config["TEST"] = {"NAME": str(HOME / "test.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and DEBUG serve from the finder so no collectstatic is needed there.
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy set HTTPS=true: secure cookies, HSTS, redirects to https, and the
# proxy's X-Forwarded-Proto trusted (the proxy must set it and strip any value the client sent).
HTTPS = envbool("HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"



def _caches():
    """Page bodies in local memory, versions and rate-limit counters in a cache every process shares:
    one SQLite file ($DAILYPAPERS_HOME/cache.sqlite3) on one node; CACHE_URL (redis://… or
    memcached://…) for both when several nodes serve the site."""
    url = os.environ.get("CACHE_URL", "")
    if url.startswith(("redis://", "rediss://")):
        shared = {"BACKEND": "dailypapers.lib.rediscache.RedisCache", "LOCATION": url}
        return {"default": shared, "shared": shared}
    if url.startswith("memcached://"):
        shared = {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                  "LOCATION": url.removeprefix("memcached://")}
        return {"default": shared, "shared": shared}
    if url:
        raise ImproperlyConfigured(f"CACHE_URL={url!r}: use redis://… or memcached://…")
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "OPTIONS": {"MAX_ENTRIES": envint("PAGE_CACHE_ENTRIES", 5000)}},
        "shared": {"BACKEND": "dailypapers.lib.sqlitecache.SQLiteCache", "LOCATION": str(HOME / "cache.sqlite3")},
    }


CACHES = _caches()
# Anonymous pages are kept this long at most; writes invalidate the pages they affect at once.
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600)

# Papers per page on day/week/month pages; a day rarely has more than 60.
FEED_PAGE_SIZE = envint("FEED_PAGE_SIZE", 50)

# -- search (dailypapers/search, docs/search.md) -----------------------------------------------------
# The derived index directory; empty means $DAILYPAPERS_HOME/index (resolved when used, so tests move it).
SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", "")
# Where the ONNX model files built from the packaged weights live; empty means $DAILYPAPERS_HOME/model.
SEARCH_MODEL_DIR = os.environ.get("SEARCH_MODEL_DIR", "")
SEARCH_PAGE_SIZE = envint("SEARCH_PAGE_SIZE", 20)
# Anonymous search answers are kept at most this long: a sync, an edit or new vectors drop them at once,
# votes and comments do not, so this bounds how old a count on a cached search can be.
SEARCH_CACHE_SECONDS = envint("SEARCH_CACHE_SECONDS", 60)
# Document embedding through ONNX Runtime (docs/search.md): precision "auto" (chosen from the CPU: int8
# where it has int8 dot-product units, else fp32), "fp32" or "int8"; input length in tokens; threads
# per embedding process (0: one per core).
SEARCH_EMBED_PRECISION = os.environ.get("SEARCH_EMBED_PRECISION", "auto")
SEARCH_EMBED_MAX_TOKENS = envint("SEARCH_EMBED_MAX_TOKENS", 128)
SEARCH_EMBED_THREADS = envint("SEARCH_EMBED_THREADS", 0)
# `embed --processes` default: side by side, each with SEARCH_EMBED_THREADS threads.
SEARCH_EMBED_PROCESSES = envint("SEARCH_EMBED_PROCESSES", 1)
# Queries are encoded in fp32 in web processes, this many threads each.
SEARCH_QUERY_THREADS = envint("SEARCH_QUERY_THREADS", 1)
# Above this many vectors a generation also gets an HNSW graph (usearch); below it search is exact.
SEARCH_HNSW_THRESHOLD = envint("SEARCH_HNSW_THRESHOLD", 20_000)
SEARCH_HNSW_DTYPE = os.environ.get("SEARCH_HNSW_DTYPE", "f16")
SEARCH_HNSW_EXPANSION = envint("SEARCH_HNSW_EXPANSION", 256)

# -- public API and feeds ----------------------------------------------------------------------------
# Anonymous reads of /api/, /feeds/ and /papers/<id>.md: requests per client IP per window (seconds).
API_RATE_LIMIT = envint("API_RATE_LIMIT", 500)
API_RATE_WINDOW_S = envint("API_RATE_WINDOW_S", 300)
# Requests carrying a live API token (reads and writes) count per token instead, in a larger bucket.
API_TOKEN_RATE_LIMIT = envint("API_TOKEN_RATE_LIMIT", 2500)
API_TOKEN_RATE_WINDOW_S = envint("API_TOKEN_RATE_WINDOW_S", 300)

# -- community: accounts, submissions, comments ------------------------------------------------------
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "papers:home"
LOGOUT_REDIRECT_URL = "papers:home"
# A verification or password-reset link stays valid this long (seconds).
EMAIL_VERIFY_MAX_AGE_S = envint("EMAIL_VERIFY_MAX_AGE_S", 3 * 24 * 3600)
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT_S", 24 * 3600)


def _email():
    """EMAIL_URL, the one mail setting: smtp://user:pass@host:587?tls=starttls, smtps://user:pass@host
    (implicit TLS), smtp://127.0.0.1:25 (plain) or console:// (print mail). Unset, each mail is written
    as a .eml file under $DAILYPAPERS_HOME/mail/ (ops/mailbox.py)."""
    url = os.environ.get("EMAIL_URL", "")
    if not url.strip():
        return EmailConfig("dailypapers.ops.mailbox.FileMailBackend")
    try:
        return parse_email_url(url)
    except BadEmailUrl as exc:
        raise ImproperlyConfigured(str(exc)) from None


_MAIL = _email()
EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT = _MAIL.backend, _MAIL.host, _MAIL.port
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _MAIL.user, _MAIL.password
EMAIL_USE_TLS, EMAIL_USE_SSL = _MAIL.use_tls, _MAIL.use_ssl
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT_S", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Daily Papers <noreply@localhost>")
# Account mails go out on a thread of their own, so a request's timing never tells whether one was sent.
EMAIL_IN_BACKGROUND = True
# The site's public address for every absolute link, e.g. https://papers.example.org (else the first
# name in ALLOWED_HOSTS; never the request's Host header).
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# Submitting a paper: at most this many days after its v1, and this many submissions a user a day.
SUBMIT_MAX_AGE_DAYS = envint("SUBMIT_MAX_AGE_DAYS", 14)
SUBMIT_DAILY_CAP = envint("SUBMIT_DAILY_CAP", 5)
# bucket -> (requests, window in seconds); each applies per user and, separately, per IP address.
RATE_LIMITS = {
    "login": (envint("RATE_LOGIN", 10), 300),  # per address and per (account, address)
    "login_account": (envint("RATE_LOGIN_ACCOUNT", 50), 3600),  # per account: slows, never shuts
    "signup": (envint("RATE_SIGNUP", 5), 3600),
    "email": (envint("RATE_EMAIL", 5), 3600),  # reset/verification mails, per sender and per recipient
    "vote": (envint("RATE_VOTE", 120), 60),
    "submit": (envint("RATE_SUBMIT", 10), 3600),
    "comment": (envint("RATE_COMMENT", 10), 600),
    "save": (envint("RATE_SAVE", 120), 60),
    "digest_subscribe": (envint("RATE_DIGEST_SUBSCRIBE", 5), 3600),  # subscribe-form posts (and mails)
}

# Sources (dailypapers sync / the worker). Base URLs are settings so tests and mirrors can point elsewhere.
SOURCES_ENABLED = envlist("SOURCES_ENABLED", ["hf", "arxiv_rss"])  # also: arxiv_oai
SOURCES_CONTACT_EMAIL = os.environ.get("SOURCES_CONTACT_EMAIL", "admin@localhost")  # in our User-Agent
SOURCES_HTTP_TIMEOUT_S = envint("SOURCES_HTTP_TIMEOUT_S", 60)
SOURCES_RETRY_AFTER_FAILURE_S = envint("SOURCES_RETRY_AFTER_FAILURE_S", 900)
HF_BASE_URL = os.environ.get("HF_BASE_URL", "https://huggingface.co")
HF_MIN_INTERVAL_S = float(os.environ.get("HF_MIN_INTERVAL_S", "1.0"))
HF_SYNC_INTERVAL_S = envint("HF_SYNC_INTERVAL_S", 3600)
HF_BACKFILL_DAYS = envint("HF_BACKFILL_DAYS", 30)  # an empty site first fetches this many days
HF_REFRESH_DAYS = envint("HF_REFRESH_DAYS", 2)  # recent days re-read each run: their votes still grow
ARXIV_MIN_INTERVAL_S = float(os.environ.get("ARXIV_MIN_INTERVAL_S", "3.0"))  # arXiv asks for 3 s
ARXIV_LAG_MINUTES = envint("ARXIV_LAG_MINUTES", 30)  # after the 20:00 US/Eastern announcement
ARXIV_CATEGORIES = envlist("ARXIV_CATEGORIES", ["cs.CL", "cs.LG", "cs.CV", "cs.AI"])
ARXIV_RSS_BASE_URL = os.environ.get("ARXIV_RSS_BASE_URL", "https://rss.arxiv.org")
ARXIV_API_BASE_URL = os.environ.get("ARXIV_API_BASE_URL", "https://export.arxiv.org/api/query")
ARXIV_OAI_BASE_URL = os.environ.get("ARXIV_OAI_BASE_URL", "https://oaipmh.arxiv.org/oai")
ARXIV_OAI_PREFIX = os.environ.get("ARXIV_OAI_PREFIX", "arXivRaw")
ARXIV_OAI_SET = os.environ.get("ARXIV_OAI_SET", "cs")
ARXIV_OAI_FROM = os.environ.get("ARXIV_OAI_FROM", "")  # first harvest's from-date (YYYY-MM-DD)

# -- email digests (dailypapers/digests, docs/digests.md) ---------------------------------------------
# Digests are due at this hour (UTC): weekdays for daily subscribers, Mondays for weekly ones.
DIGEST_HOUR_UTC = envint("DIGEST_HOUR_UTC", 7)
if not 0 <= DIGEST_HOUR_UTC <= 23:
    raise ImproperlyConfigured(f"DIGEST_HOUR_UTC={DIGEST_HOUR_UTC} is not an hour (0-23)")
DIGEST_SIZE = envint("DIGEST_SIZE", 10)  # the period's top papers in a digest
DIGEST_PICKS = envint("DIGEST_PICKS", 5)  # "Picked for you" papers for account holders
DIGEST_BOUNCE_LIMIT = envint("DIGEST_BOUNCE_LIMIT", 3)  # permanent refusals in a row before mail stops
DIGEST_CONFIRM_MAX_AGE_DAYS = envint("DIGEST_CONFIRM_MAX_AGE_DAYS", 7)
# The mailto: in List-Unsubscribe (empty: DEFAULT_FROM_EMAIL's address); pipe it to `unsubscribe_mail`.
DIGEST_UNSUBSCRIBE_MAILTO = os.environ.get("DIGEST_UNSUBSCRIBE_MAILTO", "")

# The worker's jobs: (name, "module:function", seconds between checks, lane). Each job decides itself
# whether it has work (sources keep their own schedule), so a short interval costs one query. Network
# jobs and local ones (embedding, indexing) run side by side, so a source that hangs delays no search.
WORKER_JOBS = [
    ("sync", "dailypapers.sources.sync:run_due", 60, "network"),
    ("digests", "dailypapers.digests.sender:run_due", 60, "network"),
    ("embed", "dailypapers.search.jobs:run_embed", 30, "local"),  # again at once while papers wait
    ("reindex", "dailypapers.search.jobs:run_reindex", 60, "local"),  # a new index generation when due
    ("avatars", "dailypapers.sources.avatars:run_due", 600, "network"),  # kept here, never hot-linked
]

# Structured logs: one JSON object a line (LOG_FORMAT=text for a human at a terminal).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "dailypapers.ops.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": os.environ.get("LOG_FORMAT", "json")}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
