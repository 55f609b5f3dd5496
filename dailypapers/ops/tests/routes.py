"""Every URL pattern of the project, and a real URL for each, filled from a ``World``.

A pattern with path parameters must be taught here (``FILLERS``) before the route-walking tests pass:
whoever adds a route decides what object it names, so the walk never silently skips it.
"""

import io
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize
from PIL import Image

from dailypapers.lib import avatars
from dailypapers.papers.models import Paper


@dataclass(frozen=True)
class Route:
    route: str  # the concatenated pattern text, as ResolverMatch.route spells it
    name: str  # namespaced URL name ("" for unnamed patterns)
    regex: str  # the whole path regex, every level joined
    pattern: URLPattern

    @property
    def key(self):
        """How FILLERS and the allow-lists name this route: its URL name, else its view's dotted name."""
        if self.name and not self.name.endswith(":"):
            return self.name
        view = self.pattern.callback
        return f"{view.__module__}.{view.__qualname__}"

    @property
    def test_id(self):
        return f"{self.route} [{self.name}]" if self.name else self.route

    @property
    def params(self):
        return sorted(_params(self.regex))

    @property
    def is_admin(self):
        return self.route.startswith("admin/")

    @property
    def is_api(self):
        return self.route.startswith(("api/", "^api/"))


def all_routes():
    return list(_walk(get_resolver().url_patterns, "", "", ""))


def _walk(patterns, route, regex, namespace):
    for pattern in patterns:
        text = str(pattern.pattern)
        part = pattern.pattern.regex.pattern.removeprefix("^").removesuffix(r"\Z").removesuffix("$")
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route + text, regex + part, inner)
        else:
            yield Route(route + text, f"{namespace}{pattern.name or ''}", regex + part, pattern)


def _params(regex):
    return set(normalize(regex)[0][1])


# -- filling parameters ----------------------------------------------------------------------------------
def _paper(w):
    return {"arxiv_id": w.paper.arxiv_id}


def _collection(w):
    return {"username": w.alice.username, "slug": w.collection.slug}


def _org(w):
    return {"slug": w.organization.slug}


def _author(w):
    return {"slug": w.author.slug}


def _avatar(world):
    """An avatar kept for the world's organization, as the worker would have fetched it."""
    url = "https://avatars.example.org/routes-walk.png"
    if not avatars.local_url(url):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (10, 120, 200)).save(buffer, "PNG")
        avatars.store(url, buffer.getvalue())
    return {"name": avatars.file_name(url)}


FILLERS = {
    # papers
    "papers:day": lambda w: {"key": w.day.isoformat()},
    "papers:week": lambda w: {"key": f"{w.day.isocalendar().year}-W{w.day.isocalendar().week:02d}"},
    "papers:month": lambda w: {"key": f"{w.day:%Y-%m}"},
    "papers:organization": _org,
    "papers:author": _author,
    # community
    "community:comment_edit": lambda w: {"comment_id": w.comment.pk},
    "community:comment_delete": lambda w: {"comment_id": w.comment.pk},
    "community:comment_hide": lambda w: {"comment_id": w.comment.pk},
    "community:collection": _collection,
    "community:collection_bibtex": _collection,
    "community:collection_json": _collection,
    "community:collection_edit": _collection,
    "community:collection_delete": _collection,
    "community:author_claim": _author,
    # accounts
    "accounts:verify_email": lambda w: {"token": w.tokens["verify_email"]},
    "accounts:password_reset_confirm": lambda w: dict(zip(("uidb64", "token"), w.tokens["password_reset"],
                                                          strict=True)),
    "accounts:profile": lambda w: {"username": w.alice.username},
    "accounts:token_revoke": lambda w: {"token_id": w.api_token.pk},
    "accounts:unsubscribe": lambda w: {"token": w.tokens["unsubscribe"]},
    # digests
    "digests:confirm": lambda w: {"token": w.tokens["digest_confirm"]},
    "digests:unsubscribe": lambda w: {"token": w.tokens["digest_unsubscribe"]},
    "digests:one_click": lambda w: {"token": w.tokens["digest_unsubscribe"]},
    "digests:manage": lambda w: {"token": w.tokens["digest_manage"]},
    # feeds
    "avatar": _avatar,
    "feeds:categories-rss": lambda w: {"code": "cs.LG"},
    "feeds:categories-atom": lambda w: {"code": "cs.LG"},
    "feeds:organizations-rss": _org,
    "feeds:organizations-atom": _org,
    "feeds:authors-rss": _author,
    "feeds:authors-atom": _author,
    "feeds:collections-rss": _collection,
    "feeds:collections-atom": _collection,
    # API (HF-compatible and /api/v1)
    "api:get_organization": _org,
    "api:get_author": _author,
    "api:get_collection": _collection,
    "dailypapers.api.urls.unknown": lambda w: {"rest": "no-such-endpoint"},
    # admin routes that are not a model's object pages
    "admin:app_list": lambda w: {"app_label": "papers"},
    "django.contrib.admin.sites.AdminSite.catch_all_view": lambda w: {"url": "no-such-page/"},
    "admin:auth_user_password_change": lambda w: {"id": w.alice.pk},
    "admin:view_on_site": lambda w: {"content_type_id": _content_type(Paper).pk, "object_id": w.paper.pk},
}


class UnknownRoute(LookupError):
    """A route with path parameters that this module does not know how to fill yet."""


def url_for(route, world):
    """A path that resolves back to ``route``, naming objects of ``world``."""
    values = _values(route, world)
    missing = set(route.params) - set(values)
    if missing:
        raise UnknownRoute(f"{route.key}: teach dailypapers/ops/tests/routes.py FILLERS how to fill {sorted(missing)}")
    template = next(t for t, params in normalize(route.regex) if set(params) == set(values))
    path = _fill(template, values)
    match = resolve(path)
    # ResolverMatch.route drops the "^" of nested regex patterns.
    if match.route.replace("^", "") != route.route.replace("^", ""):
        raise UnknownRoute(f"{route.key}: the filled path {path} resolves to {match.route} instead")
    return path


def _fill(template, values):
    return "/" + template % {k: quote(str(v), safe="/:@-._~") for k, v in values.items()}


def _values(route, world):
    if not route.params:
        return {}
    if route.key in FILLERS:
        return FILLERS[route.key](world)
    if route.params == ["arxiv_id"]:  # every route with only an arxiv_id names a paper
        return _paper(world)
    model_admin = getattr(route.pattern.callback, "model_admin", None)
    if route.is_admin and model_admin is not None and set(route.params) in ({"object_id"}, {"id"}):
        row = world.admin_object(model_admin.model)
        if row is None:
            raise UnknownRoute(f"{route.key}: build_world() stores no {model_admin.model.__name__} for the admin")
        return {route.params[0]: row.pk}
    return {}


def _content_type(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model)


# -- boundary values: the edges of every path and query parameter --------------------------------------
DATES = ["9999-12-31", "0001-01-01", "1989-12-31", "3000-01-01", "2026-02-30", "0000-00-00", "99999-01-01"]
WEEKS = ["9999-W52", "0001-W01", "3000-W01", "2026-W53", "2026-W54", "2026-W00"]
MONTHS = ["9999-12", "0001-01", "3000-01", "2026-13", "2026-00", "0000-01"]
NUMBERS = ["0", "-1", "2147483648", "99999999999999999999", "1e309", "NaN", "2.5", "", "x"]
TEXTS = ["", "\x00", "\x01", "a" * 3000, "'\"<>&;", "é\u202e"]
NAMES = ["-", ".", "a" * 500, "\x00", "%", "é"]
PATH_BOUNDARIES = {
    "key": DATES + WEEKS + MONTHS,
    "arxiv_id": ["0000.00000", "9999.99999", "2603.00001v0", "2603.00001v99999999999999999999", "hep-th/0000000",
                 "a" * 500, "\x00"],
    "slug": NAMES, "username": NAMES, "code": ["cs.LG" * 100, "\x00", "\x01", "-", "é"],
    "token": ["x", "a" * 2000, "\x00", "..", "e30:1tAbCd:xyz"], "uidb64": ["x", "AAAA", "a" * 500, "\x00"],
    "token_id": NUMBERS[:4], "comment_id": NUMBERS[:4], "rest": ["", "a" * 2000, "\x00"],
    "name": NAMES + ["..", "0" * 32 + ".PNG", "0" * 32 + ".png.failed"],
}
QUERY_BOUNDARIES = {
    "date": DATES + ["published", "featured"], "day": DATES, "from": DATES, "to": DATES, "week": WEEKS,
    "month": MONTHS, "page": NUMBERS, "p": NUMBERS, "limit": NUMBERS, "offset": NUMBERS, "code": ["1", "x"],
    "cursor": ["", "x", "!!!", "AAAA", "eyJ4IjogMX0", "a" * 1500], "sort": ["", "x", "trending", "newest"],
    "q": TEXTS + ["author:", "cat:", '"', "-", "OR"], "cat": TEXTS, "category": TEXTS, "org": TEXTS,
    "organization": TEXTS, "author": TEXTS, "submitter": TEXTS, "owner": TEXTS, "collection": TEXTS,
    "next": ["//evil.example", "https://evil.example", "\\\\evil.example", "\x00"],
}
PERIODS = {"date", "day", "week", "month", "from", "to"}
# The query parameters each route reads (the rest it ignores); a route not named here reads ``page``.
ROUTE_QUERIES = {
    "papers:home": ["date", "sort", "page", "q"], "papers:latest": ["date", "sort", "page", "q"],
    "papers:day": ["sort", "page"], "papers:week": ["sort", "page"], "papers:month": ["sort", "page"],
    "search:search": ["q", "cat", "org", "from", "to", "date", "sort", "page", "code"],
    "feeds:search-rss": ["q", "cat", "org", "from", "to"], "feeds:search-atom": ["q", "cat", "org", "from", "to"],
    "api:daily_papers": ["date", "week", "month", "submitter", "sort", "p", "limit"],
    "api:search_papers": ["q", "limit", "offset", "from", "to", "date", "cat", "org", "code"],
    "api:list_papers": ["day", "week", "month", "category", "organization", "author", "submitter", "sort",
                        "cursor", "limit"],
    "api:list_days": ["cursor", "limit"], "api:list_organizations": ["cursor", "limit"],
    "api:list_collections": ["owner", "cursor", "limit"], "api:save_paper": ["collection"],
    "accounts:login": ["next"], "accounts:signup": ["next"],
}


def boundary_paths(route, world):
    """Paths for ``route`` with one parameter at a time set to each of its boundary values: path
    parameters from PATH_BOUNDARIES (the others filled from ``world``), then query parameters."""
    values = _values(route, world)
    template = next(t for t, params in normalize(route.regex) if set(params) == set(values))
    for name in route.params:
        for value in PATH_BOUNDARIES[name]:
            yield _fill(template, values | {name: value})
    base, reads = _fill(template, values), ROUTE_QUERIES.get(route.key, ["page"])
    for name in reads:
        for value in QUERY_BOUNDARIES[name]:
            yield f"{base}?{urlencode({name: value})}"
            if name in PERIODS and "sort" in reads:  # trending ranks by the period's end: a second path
                yield f"{base}?{urlencode({name: value, 'sort': 'trending'})}"
