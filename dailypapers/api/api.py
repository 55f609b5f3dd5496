"""The one NinjaAPI: Hugging Face-compatible endpoints under ``/api/`` and ours under ``/api/v1/``.

OpenAPI at ``/api/openapi.json``, interactive docs at ``/api/docs``. Errors of both halves go through
the handlers below, which answer in the shape the request's path calls for (``errors.py``).
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from . import hf, v1, v1_search, v1_writes
from .errors import ApiError, error_response, unauthorized, validation_message

log = logging.getLogger(__name__)

DESCRIPTION = """\
Read the papers of this site.

* `/api/daily_papers`, `/api/papers/search`, `/api/papers/{id}`: the same paths, parameters and
  JSON as huggingface.co, so `huggingface_hub.HfApi(endpoint=...)` works unchanged. Errors: `{"error": "message"}`.
* `/api/v1/...`: papers, feed days, organizations and authors, paged with cursors; search, paged
  with offsets. Errors:
  `{"error": {"code": "...", "message": "..."}}`.

Writes (upvote, submit, comment, save) take a personal API token, made on the site's settings page:
`Authorization: Bearer dp_...`. Only that header is read, never the session cookie, so writes need no
CSRF token; a missing or wrong token is a 401 with `WWW-Authenticate: Bearer`, a token of a suspended
account a 403. Reads need no token; one sent with a read must be live too.

Anonymous clients may make a limited number of requests per window per address, token holders a
larger number per token (see the `RateLimit-*` headers); writes also meet the site's own per-action
limits. Beyond a limit the answer is 429 with `Retry-After`. Every successful read has an `ETag` and a
`Last-Modified` and answers 304 to a current `If-None-Match` / `If-Modified-Since`.
"""

class CachedSchemaAPI(NinjaAPI):
    """The OpenAPI document depends only on the code: built once per process and prefix (building it took
    0.25-1.5 s a request, most of /api/docs' wait)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas = {}

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        if path_prefix not in self._schemas:
            self._schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._schemas[path_prefix]


api = CachedSchemaAPI(title="Daily Papers API", version="1", description=DESCRIPTION, urls_namespace="api")
api.add_router("/", hf.router)
# Before v1's reads: "/papers/{path:arxiv_id}" there would otherwise also match ".../upvote".
api.add_router("/v1", v1_writes.router)
api.add_router("/v1", v1.router)
# Search's own router (owned by the search app), serializing papers with v1's PaperOut.
api.add_router("/v1/search", v1_search.router)


@api.exception_handler(ApiError)
def api_error(request, exc):
    return error_response(request, exc.status, exc.code, exc.message, exc.headers)


@api.exception_handler(AuthenticationError)
def no_credentials(request, exc):
    # Reached without a bearer token (a wrong one is refused before the route: see http.py).
    missing = unauthorized("This needs an API token: send `Authorization: Bearer <token>` (make one on the "
                           "site's settings page). A session cookie is not accepted here.")
    return api_error(request, missing)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return error_response(request, 413, "payload_too_large", "The request body is too large.")


@api.exception_handler(ValidationError)
def invalid_request(request, exc):
    return error_response(request, 400, "invalid_request", validation_message(exc.errors))


@api.exception_handler(HttpError)
def http_error(request, exc):
    return error_response(request, exc.status_code, "invalid_request", str(exc))


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, "not_found", "not found")


@api.exception_handler(Exception)
def server_error(request, exc):
    log.exception("API error on %s", request.get_full_path())
    return error_response(request, 500, "internal_error", "internal error; it has been logged")
