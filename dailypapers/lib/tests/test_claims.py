"""A claim's holder is dead when its process is gone from this host, or killed and not yet reaped."""

import signal
import socket
import subprocess
import sys
import time

from dailypapers.lib.claims import is_dead_local_process, this_process


def holder(pid):
    return f"{socket.gethostname()}:{pid}"


def test_this_process_is_alive_and_another_hosts_is_never_judged_here():
    assert not is_dead_local_process(this_process())
    assert not is_dead_local_process("some-other-host:1")


def test_a_killed_child_is_dead_before_and_after_its_parent_reaps_it():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert not is_dead_local_process(holder(child.pid))
    child.send_signal(signal.SIGKILL)
    time.sleep(0.5)  # killed, not yet waited for: a zombie that still answers signal 0
    assert is_dead_local_process(holder(child.pid))
    child.wait()
    assert is_dead_local_process(holder(child.pid))
