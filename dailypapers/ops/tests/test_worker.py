import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from dailypapers.ops.worker import Job, Worker

CALLS = []


def record_a():
    CALLS.append("a")


def explode():
    CALLS.append("boom")
    raise RuntimeError("job failure")


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


@pytest.fixture(autouse=True)
def reset_calls():
    CALLS.clear()


def test_it_runs_each_job_when_due_and_survives_a_failing_one(db):
    clock = Clock()
    target = "dailypapers.ops.tests.test_worker"
    worker = Worker(jobs=[Job("boom", f"{target}:explode", 10), Job("a", f"{target}:record_a", 60)], clock=clock)
    assert worker.handle_one() == ["boom", "a"]
    clock.t = 30
    assert worker.handle_one() == ["boom"]
    clock.t = 61
    assert worker.handle_one() == ["boom", "a"]
    assert CALLS == ["boom", "a", "boom", "boom", "a"]


def test_a_stopped_worker_runs_nothing_more(db):
    worker = Worker(jobs=[Job("a", "dailypapers.ops.tests.test_worker:record_a", 0)], clock=Clock(),
                    sleep=lambda s: None)
    worker.stop()
    worker.run(max_ticks=5)
    assert CALLS == []


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "in-a-slow-job"])
def test_the_worker_process_exits_cleanly_on_sigterm(tmp_path, busy):
    # Busy: the HF source points at a port that accepts connections and never answers.
    hang = socket.create_server(("127.0.0.1", 0))
    env = os.environ | {"DAILYPAPERS_HOME": str(tmp_path), "SOURCES_ENABLED": "hf" if busy else "",
                        "DATABASE_URL": "", "HF_BASE_URL": f"http://127.0.0.1:{hang.getsockname()[1]}"}
    subprocess.run([sys.executable, "-m", "dailypapers.cli", "migrate", "-v0"], env=env, check=True)
    process = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "worker"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "worker: jobs sync" in process.stdout.readline()
        time.sleep(1.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        hang.close()
    assert "worker stopped" in process.stderr.read()
    if busy:  # the interrupted run gave its claim back
        check = "from dailypapers.sources.models import SourceState as S; s = S.objects.get(); " \
                "print(s.running_since, s.last_error)"
        out = subprocess.run([sys.executable, "-m", "dailypapers.cli", "shell", "--no-imports", "-c", check],
                             env=env, capture_output=True, text=True, check=True).stdout
        assert out.strip() == "None interrupted"


RELEASE = threading.Event()


def hang():
    """A source that does not answer until the local lane has run three times (or 10 s pass)."""
    CALLS.append("hang")
    RELEASE.wait(10)


def record_local():
    CALLS.append("local")
    if CALLS.count("local") >= 3:
        RELEASE.set()


def more_twice():
    CALLS.append("more")
    return CALLS.count("more") <= 2  # True: work left


def test_a_hanging_network_job_never_delays_embedding_and_indexing(db):
    RELEASE.clear()
    target = "dailypapers.ops.tests.test_worker"
    jobs = [Job("sync", f"{target}:hang", 60, "network"), Job("embed", f"{target}:record_local", 0, "local")]
    worker = Worker(jobs=jobs, sleep=lambda s: time.sleep(0.01))
    started = time.monotonic()
    worker.run(max_ticks=3)
    assert RELEASE.is_set() and time.monotonic() - started < 9  # released by the local lane, not the timeout
    assert "hang" in CALLS and CALLS.count("local") >= 3


def test_a_job_with_work_left_runs_again_at_the_next_tick(db):
    clock = Clock()
    worker = Worker(jobs=[Job("embed", "dailypapers.ops.tests.test_worker:more_twice", 60, "local")], clock=clock)
    assert [worker.handle_one("local") for _ in range(4)] == [["embed"], ["embed"], ["embed"], []]
    assert CALLS == ["more"] * 3  # the third returned False: back to its interval
