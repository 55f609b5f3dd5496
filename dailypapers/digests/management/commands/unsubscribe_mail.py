"""``dailypapers unsubscribe_mail < message.eml``: act on an unsubscribe request sent by email.

Every digest's List-Unsubscribe header offers ``mailto:<DIGEST_UNSUBSCRIBE_MAILTO>?subject=unsubscribe
<token>``. Point that mailbox at this command (a pipe alias in the mail server, e.g. Postfix
``unsubscribe: "|/srv/dailypapers/.venv/bin/dailypapers unsubscribe_mail"``) and those requests are
honoured like the one-click link. A message without a valid token is ignored (exit 0: no bounce to
whoever sent it, and nothing revealed).
"""

import email
import email.policy
import re
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from dailypapers.digests.models import Subscription
from dailypapers.lib.signed import BadLink

TOKEN_IN_SUBJECT = re.compile(r"\bunsubscribe\s+(\S+)", re.IGNORECASE)


class Command(BaseCommand):
    help = "Unsubscribe the subscriber named by the token in the subject of the email read from stdin."

    def handle(self, *args, **options):
        self.handle_one_message(email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default))

    def handle_one_message(self, message):
        """True when the message carried a valid unsubscribe token (the subscriber is now unsubscribed)."""
        match = TOKEN_IN_SUBJECT.search(str(message["Subject"] or ""))
        try:
            subscription = Subscription.objects.from_link("unsubscribe", match.group(1) if match else "")
        except BadLink:
            self.stderr.write("ignored: no valid unsubscribe token in the subject")
            return False
        subscription.unsubscribe(timezone.now())
        self.stdout.write(f"unsubscribed subscription {subscription.pk}")
        return True
