"""``/healthz``: is this node able to serve? Database, last successful sync per source, search index.
And the small files every site answers at its root: ``/robots.txt``, ``/favicon.ico``, the manifest,
and the avatars it keeps (``lib/avatars.py``)."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dailypapers.lib import avatars


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _database()}
    if checks["database"]["ok"]:
        checks["sources"] = _sources()
    healthy = all(check.get("ok", True) for check in checks.values() if isinstance(check, dict))
    return JsonResponse({"ok": healthy, "time": timezone.now().isoformat(), "checks": checks},
                        status=200 if healthy else 503)


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": str(exc).splitlines()[0][:200]}
    return {"ok": True, "vendor": connection.vendor}


def _sources():
    from dailypapers.sources.models import SourceState

    states = SourceState.objects.order_by("name")
    return {s.name: {"last_success_at": s.last_success_at and s.last_success_at.isoformat(),
                     "last_error": s.last_error[:200], "running": s.running_since is not None} for s in states}


# Crawlers may read every public page; accounts, admin, search results and actions are not for them.
ROBOTS_DISALLOW = ("/admin/", "/api/", "/settings", "/login", "/signup", "/for-you", "/submit", "/digests/",
                   "/papers?q=", "/search")
ICON_MAX_AGE_S = 7 * 24 * 3600


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def favicon(request):
    """``/favicon.ico``, which browsers and feed readers ask for whatever the page links: the static one."""
    response = redirect(static("dailypapers/icons/favicon.ico"))
    response["Cache-Control"] = f"public, max-age={ICON_MAX_AGE_S}"
    return response


@require_safe
def web_manifest(request):
    """The web app manifest: name and icons for "add to home screen"."""
    icons = [{"src": static(f"dailypapers/icons/{name}"), "sizes": size, "type": "image/png", **extra}
             for name, size, extra in (("icon-192.png", "192x192", {}), ("icon-512.png", "512x512", {}),
                                       ("icon-maskable-512.png", "512x512", {"purpose": "maskable"}))]
    manifest = {"name": settings.SITE_NAME, "short_name": settings.SITE_NAME, "start_url": "/", "display": "standalone",
                "background_color": "#f7f8fa", "theme_color": "#ffffff",
                "icons": [{"src": static("dailypapers/icons/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
                          *icons]}
    response = JsonResponse(manifest, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=86400"
    return response


AVATAR_MAX_AGE_S = 7 * 24 * 3600


@require_safe
def avatar(request, name):
    """An avatar the site keeps, by its file name (a hash of where it came from)."""
    path = avatars.directory() / name
    if not avatars.NAME.fullmatch(name) or not path.is_file():
        raise Http404("no such avatar")
    response = FileResponse(path.open("rb"), content_type="image/png")
    response["Cache-Control"] = f"public, max-age={AVATAR_MAX_AGE_S}"
    return response
