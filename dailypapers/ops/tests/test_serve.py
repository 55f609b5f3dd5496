"""``dailypapers serve``: the gunicorn command line it runs."""

import os
import socket
import subprocess
import sys
import urllib.request

from dailypapers.ops.management.commands.serve import default_workers, gunicorn_argv

OPTIONS = {"bind": "127.0.0.1:8123", "workers": None, "threads": 4, "timeout": 30}


def option(argv, name):
    return argv[argv.index(name) + 1]


def test_it_runs_threaded_workers_sized_from_the_cores():
    argv = gunicorn_argv(OPTIONS)
    assert option(argv, "--workers") == str(default_workers()) == str(2 * (os.cpu_count() or 1) + 1)
    assert option(argv, "--worker-class") == "gthread" and option(argv, "--threads") == "4"
    assert option(argv, "--bind") == "127.0.0.1:8123"
    assert option(argv, "--config") == "python:dailypapers.ops.gunicorn_conf"


def test_it_keeps_threaded_workers_at_one_thread():
    # gunicorn alone would switch to its sync worker here, which has no keep-alive.
    argv = gunicorn_argv(OPTIONS | {"workers": 3, "threads": 1})
    assert option(argv, "--worker-class") == "gthread"
    assert option(argv, "--workers") == "3" and option(argv, "--threads") == "1"


def _serve(tmp_path, port, *args):
    env = os.environ | {"DAILYPAPERS_HOME": str(tmp_path), "DATABASE_URL": "", "LOG_FORMAT": "text",
                        "PYTHONUNBUFFERED": "1"}
    for setup in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):  # as `make run` does
        subprocess.run([sys.executable, "-m", "dailypapers.cli", *setup], env=env, check=True)
    return subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "serve", "--bind", f"127.0.0.1:{port}",
                             "--workers", "1", "--with-worker", "no", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_taken_address_is_one_clear_line(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        process = _serve(tmp_path, taken.getsockname()[1])
        out, _ = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "the address is already in use" in out and "Serving on" not in out and "Traceback" not in out


def test_each_web_worker_is_warm_before_its_first_request(tmp_path):
    """The model, the index and the templates load when a worker boots, never inside a request; the
    address is announced only once it listens."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    process = _serve(tmp_path, port)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "ready: search model, index and pages warmed" in line:
                break
        assert any(f"Serving on http://127.0.0.1:{port}/" in line for line in lines)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/papers?q=attention", timeout=60).read()  # noqa: S310
        assert b"search-page" in body
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=60)
    text = "".join(lines) + out
    assert "warm-up failed" not in text and "Traceback" not in text
    assert text.index("warmed in") < text.index("GET /papers?q=attention")  # warm before the request
    assert "warmed in" in text and "(200, 200)" in text  # the search and the front page, answered in full
