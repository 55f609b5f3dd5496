"""``EMAIL_URL`` → Django's EMAIL_* settings, the one way mail is configured. Framework-free: settings.py
imports it. (Unset, settings.py keeps each mail as a .eml file under $DAILYPAPERS_HOME/mail/.)

    console://                   the console backend: messages are printed, nothing is sent
    smtp://user:pass@host:587?tls=starttls   STARTTLS after connecting (the usual submission port)
    smtps://user:pass@host        implicit TLS (port 465 unless given); same as ?tls=ssl
    smtp://127.0.0.1:1025         plain SMTP, e.g. a local relay (?tls=none is the smtp:// default)

User name and password are percent-decoded (write ``@`` as ``%40``). Junk fails loudly at start-up.
"""

from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
TLS_MODES = {"none": (False, False), "false": (False, False), "starttls": (True, False), "true": (True, False),
             "ssl": (False, True), "implicit": (False, True)}
DEFAULT_PORTS = {(False, False): 25, (True, False): 587, (False, True): 465}


class EmailConfig(NamedTuple):
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


class BadEmailUrl(ValueError):
    pass


def parse_email_url(url):
    """An EmailConfig for ``url``; raise BadEmailUrl (naming the problem, never the password)."""
    url = url.strip()
    if url == "console://":
        return EmailConfig(CONSOLE)
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise BadEmailUrl(f"EMAIL_URL: unknown scheme {parts.scheme!r} (use smtp://, smtps:// or console://)")
    if not parts.hostname:
        raise BadEmailUrl("EMAIL_URL: no host name")
    use_tls, use_ssl = _tls_mode(parts)
    try:
        port = parts.port or DEFAULT_PORTS[(use_tls, use_ssl)]
    except ValueError:
        raise BadEmailUrl("EMAIL_URL: the port is not a number") from None
    return EmailConfig(SMTP, parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or ""),
                       use_tls, use_ssl)


def _tls_mode(parts):
    query = parse_qs(parts.query)
    unknown = set(query) - {"tls"}
    if unknown:
        raise BadEmailUrl(f"EMAIL_URL: unknown option(s) {', '.join(sorted(unknown))} (only tls=…)")
    default = "ssl" if parts.scheme == "smtps" else "none"
    mode = query.get("tls", [default])[-1].lower()
    if mode not in TLS_MODES:
        raise BadEmailUrl(f"EMAIL_URL: tls={mode!r} is not one of {', '.join(TLS_MODES)}")
    if parts.scheme == "smtps" and not TLS_MODES[mode][1]:
        raise BadEmailUrl("EMAIL_URL: smtps:// is implicit TLS; drop the tls= option or use smtp://")
    return TLS_MODES[mode]
