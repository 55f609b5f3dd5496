"""A real SMTP server for tests (aiosmtpd on a loopback port) that records what it accepts and can
misbehave: drop the connection after k messages, greylist (451 once per address), refuse (550),
stall (never answer) after k messages."""

import asyncio
import email
import email.policy
import threading
from collections import Counter
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class Received:
    recipients: list
    raw: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class Recorder:
    def __init__(self):
        self.received = []
        self.drop_every = None  # drop each connection when it reaches this many accepted messages
        self.greylist = False  # 451 on the first RCPT of every address, then accept it
        self.refuse = set()  # addresses answered 550 every time
        self.refuse_sender = False  # 550 to MAIL FROM: the server will not take our mail at all
        self.delay = 0.0  # seconds to wait before accepting each message
        self.stall_after = None  # accept this many messages, then leave every later one unanswered
        self.stalled = 0  # messages left unanswered
        self.answers = Counter()
        self._greylisted = set()
        self._per_connection = Counter()
        self._lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self._answer("550 5.7.1 Sender not allowed")
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self._answer("550 5.1.1 No such mailbox here")
        with self._lock:
            first_time = self.greylist and address not in self._greylisted
            self._greylisted.add(address)
        if first_time:
            return self._answer("451 4.7.1 Greylisted, please try again later")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_every and self._per_connection[id(session)] >= self.drop_every:
            # The whole message came in and gets no answer: the sender cannot know it was not kept.
            self.answers["dropped"] += 1
            server.transport.close()
            return "421 4.3.2 Closing"
        if self.stall_after is not None and len(self.received) >= self.stall_after:
            # The whole message came in and is never answered (a server hanging, the sender killed
            # while it waits): it is not kept, as no server keeps what it has not answered 250.
            self.stalled += 1
            await asyncio.Event().wait()  # cancelled when the connection or the server goes
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self._per_connection[id(session)] += 1
            self.received.append(Received(list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 2.0.0 Accepted"

    def _answer(self, reply):
        self.answers[reply[:3]] += 1
        return reply

    def connections_used(self):
        """How many SMTP sessions delivered at least one message."""
        return sum(1 for count in self._per_connection.values() if count)

    def count_by_recipient(self):
        return Counter(address for item in self.received for address in item.recipients)

    def messages_to(self, address):
        return [item.message for item in self.received if address in item.recipients]


class LoopbackController(Controller):
    """aiosmtpd's Controller on a free port chosen by the OS (port=0)."""

    def _trigger_server(self):
        if self.port == 0:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_server(recorder):
    controller = LoopbackController(recorder, hostname="127.0.0.1", port=0)
    controller.start()
    return controller
