"""API authentication by personal token (``Authorization: Bearer dp_…``) for django-ninja routers.

Only the bearer header is read, never the session cookie: a browser attaches cookies to a forged
cross-site request, never an ``Authorization`` header, so these routes need no CSRF token. The header
is checked once per request (``credential``), shared by the rate limiter and ``TokenAuth``.
"""

from dataclasses import dataclass

from ninja.security import HttpBearer

from dailypapers.accounts.models import TOKEN_PREFIX, ApiToken, User, hash_token

from .errors import ApiError

SCHEME = "bearer"
_CACHE_ATTR = "_dailypapers_credential"


@dataclass(frozen=True)
class Credential:
    """What a bearer token sent with a request turned out to be."""

    user: User | None  # the token's user when the token is live and the account may act
    ident: str  # names the token in rate-limit keys (part of its hash, never the token)
    refusal: str | None  # None, "invalid" (no such token) or "disabled" (the account is inactive)


def bearer_token(request):
    """The token of an ``Authorization: Bearer …`` header (maybe empty), or None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == SCHEME else None


def credential(request, token=None):
    """The request's checked bearer credential, or None when it carries no bearer token."""
    if not hasattr(request, _CACHE_ATTR):
        token = bearer_token(request) if token is None else token
        setattr(request, _CACHE_ATTR, None if token is None else _check(token))
    return getattr(request, _CACHE_ATTR)


def _check(token):
    digest = hash_token(token)
    ident = digest[:32]
    user = ApiToken.objects.authenticate(token)
    if user is not None and not user.is_suspended:
        return Credential(user, ident, None)
    # A live token of an inactive account is told apart from a wrong token: 403, not 401, because
    # sending another token would not help. Tokens of other services (hf_…) cost no query.
    if user is not None or (token.startswith(TOKEN_PREFIX)
                            and ApiToken.objects.filter(token_hash=digest).exists()):
        return Credential(None, ident, "disabled")
    return Credential(None, ident, "invalid")


def disabled():
    return ApiError(403, "account_disabled", "This account is suspended or deactivated: its tokens cannot act.")


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = credential(request, token)
        if found is not None and found.refusal == "disabled":
            raise disabled()
        if found is not None and found.user is not None:
            request.user = found.user
            return found.user
        return None
