"""SMTP delivery for the digest sender: one connection reused across messages, and every failure
sorted into transient (4xx, a dropped connection: retry later) or permanent (5xx: the address is
refusing mail).

A dropped connection is reopened at once and the message tried once more on the new one: servers
drop connections after so many messages or so much idle time, and that says nothing about the
message. A server that cannot be reached at all stops the pass (ServerUnavailable); what is queued
waits for the next run.
"""

import contextlib
import logging
import smtplib
from dataclasses import dataclass

from django.core.mail import get_connection

log = logging.getLogger(__name__)

SENT, TRANSIENT, PERMANENT = "sent", "transient", "permanent"
SERVICE_CLOSING = 421


@dataclass(frozen=True)
class Outcome:
    kind: str
    error: str = ""


class ServerUnavailable(Exception):
    """The SMTP server cannot be reached or refuses our sender: nothing can be sent this pass."""


def classify(exc):
    """Transient or permanent, with the server's answer for the outbox row."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = min(exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, reply = exc.smtp_code, exc.smtp_error
    else:
        return Outcome(TRANSIENT, f"{type(exc).__name__}: {exc}")
    reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return Outcome(PERMANENT if 500 <= code < 600 else TRANSIENT, f"{code} {reply}")


def is_connection_error(exc):
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == SERVICE_CLOSING
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class Mailer:
    """``with Mailer() as mailer: mailer.deliver(message)`` over one connection of the configured backend."""

    def __init__(self, connection=None):
        self.connection = connection or get_connection(fail_silently=False)

    def __enter__(self):
        self._open()
        return self

    def __exit__(self, *exc_info):
        self._close()

    def deliver(self, message):
        try:
            return self._send(message)
        except smtplib.SMTPException as exc:
            if not is_connection_error(exc):
                return classify(exc)
            first_error = exc
        except OSError as exc:
            first_error = exc
        log.info("SMTP connection lost (%s): reconnecting", first_error)
        self._close()
        self._open()
        try:
            return self._send(message)
        except OSError as exc:  # smtplib's errors are OSErrors too
            return classify(exc)

    def _send(self, message):
        try:
            self.connection.send_messages([message])
        except smtplib.SMTPSenderRefused as exc:
            raise ServerUnavailable(f"the server refuses our sender: {exc.smtp_code} {exc.smtp_error!r}") from exc
        return Outcome(SENT)

    def _open(self):
        try:
            self.connection.open()
        except OSError as exc:
            raise ServerUnavailable(f"cannot connect to the SMTP server: {exc}") from exc

    def _close(self):
        # A dead connection can only fail to close politely; it is gone either way.
        with contextlib.suppress(OSError):
            self.connection.close()
