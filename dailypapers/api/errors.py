"""Error responses. ``/api/v1`` answers ``{"error": {"code", "message"}}``; the Hugging Face-compatible
endpoints answer Hugging Face's own ``{"error": message}``, which its client reads into its exceptions;
the Markdown view and the feeds answer plain text."""

from django.http import HttpResponse, JsonResponse

V1_PREFIX = "/api/v1/"
API_PREFIX = "/api/"


class ApiError(Exception):
    """Raised anywhere in an endpoint; rendered in the shape the request's path calls for."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(request, status, code, message):
    if request.path.startswith(V1_PREFIX):
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"error": message}, status=status)
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def validation_message(errors):
    """One readable line out of pydantic's error list: ``limit: Input should be less than or equal to 100``."""
    parts = []
    for error in errors[:3]:
        # loc is ("query", "limit") or ("path", "slug"): the parameter name is what a caller needs.
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"
