"""Error responses. ``/api/v1`` answers ``{"error": {"code", "message"}}``; the Hugging Face-compatible
endpoints answer Hugging Face's own ``{"error": message}``, which its client reads into its exceptions;
the Markdown view and the feeds answer plain text."""

from django.http import HttpResponse, JsonResponse

V1_PREFIX = "/api/v1/"
API_PREFIX = "/api/"


class ApiError(Exception):
    """Raised anywhere in an endpoint; rendered in the shape the request's path calls for."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        # Headers the answer needs to be acted on: Retry-After on a 429, WWW-Authenticate on a 401.
        self.headers = headers or {}


def error_response(request, status, code, message, headers=None):
    if request.path.startswith(V1_PREFIX):
        response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    elif request.path.startswith(API_PREFIX):
        response = JsonResponse({"error": message}, status=status)
    else:
        response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unauthorized(message, invalid_token=False):
    """401 with the challenge RFC 6750 asks for; ``invalid_token`` when a token was sent but is no good."""
    challenge = 'Bearer realm="api"' + (', error="invalid_token"' if invalid_token else "")
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def validation_message(errors):
    """One readable line out of pydantic's error list: ``limit: Input should be less than or equal to 100``."""
    parts = []
    for error in errors[:3]:
        parts.append(f"{_where(tuple(error.get('loc', ())))}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _where(loc):
    """The parameter an error is about. loc is ("query", "limit") or ("path", "slug"): the parameter
    name is what a caller needs. A JSON body's is ("body", <the view's argument>, "field", …): the field is."""
    start = 2 if loc[:1] == ("body",) and len(loc) > 2 else 1
    return ".".join(str(part) for part in loc[start:]) or "request"
