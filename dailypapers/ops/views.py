"""``/healthz``: is this node able to serve? Database, last successful sync per source, search index."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


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
