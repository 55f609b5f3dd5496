"""The site's own address for every absolute link it writes (feeds, emails, API ``Link`` headers and
URLs, the Markdown page): ``SITE_URL`` when set, else the first name in ``ALLOWED_HOSTS`` — never the
request's ``Host`` header or port, which a client chooses (``curl -H 'Host: evil'`` must not change a
feed's GUIDs or a link in an email)."""

from django.conf import settings

# ALLOWED_HOSTS entries that name no single host: a wildcard, or a pattern for a domain's subdomains.
_FALLBACK_HOST = "localhost"


def site_url():
    """``https://papers.example.org`` (no trailing slash)."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/")
    return f"http://{_first_host()}"


def absolute(path):
    """``path`` (``/papers/2603.00001``) as an absolute URL on this site."""
    return f"{site_url()}{path}"


def _first_host():
    for host in settings.ALLOWED_HOSTS:
        host = host.lstrip(".")
        if host and host != "*":
            return host
    return _FALLBACK_HOST
