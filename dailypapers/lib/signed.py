"""Signed links: a few short values signed for one purpose (the salt), read back or refused.

Every token an email link carries (confirm, unsubscribe, manage, verify an address) is one of these.
Reading one returns the values or raises BadLink, whose message a page may show: an expired link says
so, anything else is "not valid". Pages that must reveal nothing show one page for every BadLink.
"""

from django.core import signing

SEPARATOR = "."


class BadLink(ValueError):
    """A forged, truncated or expired link; the message says which, in words for a reader."""


def make(purpose, *values):
    """A token signing ``values`` (numbers, or strings without a '.') for ``purpose``."""
    text = [str(value) for value in values]
    if any(SEPARATOR in value for value in text):
        raise ValueError(f"a signed value may not contain {SEPARATOR!r}")
    return signing.TimestampSigner(salt=purpose).sign(SEPARATOR.join(text))


def read(purpose, token, count, max_age=None):
    """The ``count`` values a valid token for ``purpose`` signs (strings); BadLink otherwise."""
    try:
        text = signing.TimestampSigner(salt=purpose).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise BadLink("This link has expired: ask for a new one.") from None
    except signing.BadSignature:
        raise BadLink("This link is not valid. Check that you copied all of it.") from None
    values = text.split(SEPARATOR)
    if len(values) != count:
        raise BadLink("This link is not valid. Check that you copied all of it.")
    return values
