"""The one XML entry point for every source parser.

The stdlib ElementTree does not fetch external entities, but it does expand internal ones, so a
"billion laughs" document could exhaust memory. None of the feeds we read has a DTD, so any
document declaring one is refused before parsing (defusedxml would do the same; it is not installed).
"""

import re
import xml.etree.ElementTree as ET  # noqa: S405 - guarded by the DTD check in parse_xml

from .http import ParseError

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXmlError(ValueError):
    """A document with a DTD or entity declarations. Not a ParseError: refetching will not help."""


class XmlParseError(ParseError):
    """Malformed or truncated XML; the caller may refetch."""


def parse_xml(body):
    """Parse bytes (or str) into the root Element; refuse DTDs, raise XmlParseError when malformed."""
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if _DTD.search(data):
        raise UnsafeXmlError("refusing an XML document with a DOCTYPE or ENTITY declaration")
    try:
        return ET.fromstring(data)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise XmlParseError(f"malformed XML: {exc}") from None


def local_name(element):
    """The tag without its ``{namespace}``."""
    return element.tag.rpartition("}")[2]


def text_of(element, path, namespaces=None, default=None):
    """Stripped text of the first ``path`` match; ``default`` when absent. Order of children is irrelevant."""
    found = element.find(path, namespaces)
    if found is None:
        return default
    return "".join(found.itertext()).strip()
