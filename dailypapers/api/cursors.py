"""Cursor (keyset) pagination for ``/api/v1`` lists.

A list is ordered descending on a few keys ending in the primary key. A page's ``next_cursor`` holds
the last row's keys, signed so a caller cannot hand us arbitrary values; the next page starts strictly
after them. Unlike page numbers, a paper arriving at the top while someone pages through does not
shift every later page by one (no repeats, no skips).

Cursors carry no timestamp: the same page must have the same body, and so the same ETag, a second later.
"""

from django.core import signing
from django.db.models import Q

from .errors import ApiError

SALT = "dailypapers.api.cursor"


def encode(kind, values):
    return signing.Signer(salt=SALT).sign_object({"k": kind, "v": values}, compress=True)


def decode(token, kind, length):
    """The key values in ``token``; ApiError(400) if it was not issued by us for this kind of list."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API issued") from None
    values = data.get("v") if isinstance(data, dict) else None
    if not isinstance(values, list) or data.get("k") != kind or len(values) != length:
        raise ApiError(400, "invalid_cursor", "cursor belongs to another list or sort order")
    return values


def after(fields, values):
    """Rows strictly after ``values`` in an order descending on every field of ``fields``."""
    condition = Q()
    for i, name in enumerate(fields):
        step = Q(**{f"{name}__lt": values[i]})
        for earlier, value in zip(fields[:i], values[:i], strict=True):
            step &= Q(**{earlier: value})
        condition |= step
    return condition


def page(queryset, kind, fields, limit, cursor, carried=()):
    """``(rows, next_cursor)``: up to ``limit`` rows after ``cursor``; next_cursor is None on the last page.

    ``carried`` are values that ride along unchanged from cursor to cursor (a trending list's reference
    time, so that every page ranks at the same instant); read them first with ``carried_values``.
    """
    if cursor:
        keys = decode(cursor, kind, len(carried) + len(fields))[len(carried):]
        queryset = queryset.filter(after(fields, keys))
    rows = list(queryset.order_by(*[f"-{name}" for name in fields])[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = [_jsonable(_value(rows[-1], name)) for name in fields]
    return rows, encode(kind, [*carried, *last])


def carried_values(cursor, kind, length, default):
    """The values ``cursor`` carries (``len(default)`` of ``length`` in all), else ``default``."""
    if not cursor:
        return tuple(default)
    return tuple(decode(cursor, kind, length)[: len(default)])


def _value(row, name):
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
