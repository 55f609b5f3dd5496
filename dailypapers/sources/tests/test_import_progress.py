"""``dailypapers import`` says what it is doing: progress lines when its output is not a terminal."""

import importlib
import io

import pytest
from django.core.management import call_command

from .test_import import LINE_1, LINE_2, write_jsonl

pytestmark = pytest.mark.django_db

command = importlib.import_module("dailypapers.sources.management.commands.import")


def _run(path, *options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_reports_the_phases_and_a_count_as_it_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(command, "PROGRESS_EVERY_S", 0)  # a line for every paper
    out, err = _run(write_jsonl(tmp_path / "two.jsonl", [LINE_1, LINE_2]))
    lines = err.splitlines()
    assert lines[0] == f"Importing {tmp_path / 'two.jsonl'} …"
    assert "… 1 papers read" in lines and "… 2 papers read" in lines
    assert lines[-1] == "2 papers stored; updating counts …"
    assert out.strip() == "2 created, 0 updated, 0 unchanged, 0 rejected"


def test_no_progress_and_verbosity_0_keep_it_quiet(tmp_path, monkeypatch):
    monkeypatch.setattr(command, "PROGRESS_EVERY_S", 0)
    path = write_jsonl(tmp_path / "two.jsonl", [LINE_1, LINE_2])
    assert _run(path, "--no-progress")[1] == ""
    assert _run(path, "--verbosity", "0")[1] == ""
