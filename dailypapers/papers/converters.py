"""URL path converters shared by the site's routes."""


class NameConverter:
    """A path segment naming something (a slug, a username): any text but control characters. A NUL
    byte would reach the database, which PostgreSQL refuses (a 500); without a route, it is a 404."""

    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
