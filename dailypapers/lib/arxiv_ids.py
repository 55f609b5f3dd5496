"""arXiv identifiers: parse any id or URL a person might paste into a versionless id and a version.

New style: ``2501.01234`` (4-digit YYMM, 4 or 5-digit number since 2015-01). Old style:
``astro-ph/0601001`` or ``math.GT/0309136`` (archive, optional subject class, YYMMNNN).
"""

import re

NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
OLD_ID = r"(?P<old>[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})"
VERSION = r"(?:v(?P<version>\d+))?"
_BARE = re.compile(rf"^(?:arxiv:)?(?:{NEW_ID}|{OLD_ID}){VERSION}$", re.IGNORECASE)
_URL = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/(?:{NEW_ID}|{OLD_ID}){VERSION}"
    r"(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)


class InvalidArxivId(ValueError):
    pass


def parse(text):
    """Return ``(versionless_id, version or None)`` for an id or arXiv URL; raise InvalidArxivId."""
    candidate = (text or "").strip()
    match = _BARE.match(candidate) or _URL.match(candidate)
    if not match:
        raise InvalidArxivId(f"not an arXiv id: {candidate[:80]!r}")
    if match.group("new"):
        arxiv_id = match.group("new")
        if not 1 <= int(arxiv_id[2:4]) <= 12:
            raise InvalidArxivId(f"not an arXiv id (month {arxiv_id[2:4]}): {candidate[:80]!r}")
    else:
        archive, number = match.group("old").split("/")
        # Archives are lower case; a subject class (math.GT) keeps its upper-case letters.
        name, _, subject = archive.partition(".")
        arxiv_id = f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    version = int(match.group("version")) if match.group("version") else None
    return arxiv_id, version


def normalize(text):
    """The versionless id, or raise InvalidArxivId."""
    return parse(text)[0]


def is_arxiv_id(text):
    try:
        parse(text)
    except InvalidArxivId:
        return False
    return True


def abs_url(arxiv_id):
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id):
    return f"https://arxiv.org/pdf/{arxiv_id}"


def html_url(arxiv_id):
    return f"https://arxiv.org/html/{arxiv_id}"
