"""``dailypapers serve``: the gunicorn command line it runs."""

import os
import socket
import urllib.request

import pytest

from dailypapers.ops.management.commands.serve import default_workers, gunicorn_argv

from .server import free_port, read_until_warm, start_serve

OPTIONS = {"bind": "127.0.0.1:8123", "workers": None, "threads": 4, "timeout": 30}


def option(argv, name):
    return argv[argv.index(name) + 1]


def test_it_runs_threaded_workers_sized_from_the_cores():
    argv = gunicorn_argv(OPTIONS)
    assert option(argv, "--workers") == str(default_workers()) == str(2 * (os.cpu_count() or 1) + 1)
    assert option(argv, "--worker-class") == "gthread" and option(argv, "--threads") == "4"
    assert "--bind" not in argv  # the front's private socket, or the public address with --front no
    assert option(argv, "--config") == "python:dailypapers.ops.gunicorn_conf"


def test_it_keeps_threaded_workers_at_one_thread():
    # gunicorn alone would switch to its sync worker here, which has no keep-alive.
    argv = gunicorn_argv(OPTIONS | {"workers": 3, "threads": 1})
    assert option(argv, "--worker-class") == "gthread"
    assert option(argv, "--workers") == "3" and option(argv, "--threads") == "1"


def test_a_taken_address_is_one_clear_line(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        process = start_serve(tmp_path, taken.getsockname()[1], "--workers", "1")
        out, _ = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "the address is already in use" in out and "Serving on" not in out and "Traceback" not in out


@pytest.mark.parametrize("front", ["yes", "no"])
def test_each_web_worker_is_warm_before_its_first_request(tmp_path, front):
    """The model, the index and the templates load when a worker boots, never inside a request; the
    address is announced only once it listens."""
    port = free_port()
    process = start_serve(tmp_path, port, "--workers", "1", "--front", front)
    try:
        lines = read_until_warm(process, 1)
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
