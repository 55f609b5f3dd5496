"""API authentication by personal token (``Authorization: Bearer dp_…``) for django-ninja routers:

    from dailypapers.accounts.api_auth import TokenAuth
    @router.post("/…", auth=TokenAuth())
"""

from ninja.security import HttpBearer

from .models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = ApiToken.objects.authenticate(token)
        if user is not None:
            request.user = user
        return user
