"""The mail backend of a site without SMTP: every message becomes one ``.eml`` file under
``$DAILYPAPERS_HOME/mail/`` (open it in any mail client, or read the link in it), instead of whole MIME
messages mixed into the server's console."""

import datetime as dt
import logging
import os
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)


def mail_dir():
    return Path(getattr(settings, "EMAIL_FILE_PATH", None) or Path(settings.HOME) / "mail")


class FileMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = mail_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            path = folder / _file_name(message.subject)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(message.message().as_bytes(linesep="\n"))
            os.replace(tmp, path)  # a reader never sees half a message
            log.info("mail to %s written to %s", ", ".join(message.recipients()), path)
        return len(email_messages)


def _file_name(subject):
    """Sortable by time, unique across processes, and telling:
    ``20261204-175601-123456-3f2a1b-verify-your-email.eml``."""
    slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:50] or "message"
    return f"{dt.datetime.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:6]}-{slug}.eml"
