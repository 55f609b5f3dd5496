"""Who holds a claim on work: ``host:pid``, and whether that holder is a dead process of this host.

Claims are conditional UPDATEs that write ``this_process()`` into a ``claimed_by`` column. A holder
killed with -9 never releases its claim; on its own host that is visible at once (its pid is gone),
so its work need not wait for the lease or staleness limit that covers holders on other hosts.
"""

import os
import socket


def this_process():
    """The claim holder's name for this process: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead_local_process(holder):
    """True when ``holder`` (``host:pid``) names a process of this host that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's process: only its lease can tell
    try:
        os.kill(int(pid), 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return _is_zombie(pid)


def _is_zombie(pid):
    """A killed process its parent has not reaped yet (``serve`` keeps its worker as a child) still
    answers signal 0, but will never run again. Linux says so in /proc; elsewhere we cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False
