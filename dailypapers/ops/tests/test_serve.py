"""``dailypapers serve``: the gunicorn command line it runs."""

import os

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
