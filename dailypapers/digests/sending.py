"""SMTP delivery for the digest sender: reused connections, and every failure sorted into transient
(4xx, a dropped connection: retry later) or permanent (5xx: the address refuses mail).

A dropped connection is reopened and the message tried once more; a server that cannot be reached
stops the pass (ServerUnavailable). ``SenderPool`` keeps a few connections busy on threads of their
own, because the SMTP dialogue is lock-step; the database stays with the caller's thread.
"""

import contextlib
import logging
import queue
import smtplib
import threading
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
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()

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
        self.close()
        self.open()
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

    def open(self):
        try:
            self.connection.open()
        except OSError as exc:
            raise ServerUnavailable(f"cannot connect to the SMTP server: {exc}") from exc

    def close(self):
        # A dead connection can only fail to close politely; it is gone either way.
        with contextlib.suppress(OSError):
            self.connection.close()


class SenderPool:
    """``size`` Mailers on threads of their own, one message each at a time.

    ``with SenderPool(3) as pool``: opens every connection first (ServerUnavailable if the server
    cannot be reached, before anything was taken from the queue). Then, for each message,
    ``pool.wait_idle()`` returns what finished meanwhile — ``(key, Outcome or exception)`` — once a
    sender is free, and ``pool.send(key, message)`` hands it the message; ``pool.drain()`` waits
    for the rest. A message is handed over only when a sender is free, so at most ``size`` are ever
    in flight, and a caller that stops (an error, a crash) leaves no backlog behind to be sent."""

    def __init__(self, size):
        self.size = size
        self._finished = queue.Queue()
        self._idle, self._threads, self._busy = [], [], 0

    def __enter__(self):
        for _ in range(self.size):
            inbox = queue.Queue()
            thread = threading.Thread(target=self._serve, args=(inbox,), daemon=True, name="smtp-sender")
            thread.start()
            self._threads.append((thread, inbox))
        opened = [self._finished.get() for _ in self._threads]
        if failed := next((result for _, result in opened if result is not None), None):
            self.__exit__(None, None, None)
            raise failed
        self._idle = [inbox for inbox, _ in opened]
        return self

    def __exit__(self, *exc_info):
        for _thread, inbox in self._threads:
            inbox.put(None)
        for thread, _ in self._threads:
            thread.join()

    def _serve(self, inbox):
        try:
            mailer = Mailer()
            mailer.open()
        except BaseException as exc:  # no connection (or no backend): the caller's thread raises it
            self._finished.put((inbox, exc))
            return
        self._finished.put((inbox, None))
        try:
            while (job := inbox.get()) is not None:
                key, message = job
                self._finished.put((inbox, (key, self._deliver(mailer, message))))
        finally:
            mailer.close()

    @staticmethod
    def _deliver(mailer, message):
        try:
            return mailer.deliver(message)
        except BaseException as exc:  # handed to the caller's thread, which raises it there
            return exc

    def wait_idle(self):
        """What finished so far, after waiting, if need be, until a sender is free."""
        return self._collect(block=not self._idle)

    def send(self, key, message):
        """Hand ``message`` to a free sender (call wait_idle first)."""
        self._busy += 1
        self._idle.pop(0).put((key, message))  # the longest idle first: the work goes round

    def drain(self):
        """What is still in flight, once it has finished."""
        done = []
        while self._busy:
            done += self._collect(block=True)
        return done

    def _collect(self, block):
        done = []
        while self._busy:
            try:
                inbox, result = self._finished.get(block=block and not done)
            except queue.Empty:
                break
            self._busy -= 1
            self._idle.append(inbox)
            done.append(result)
        return done
