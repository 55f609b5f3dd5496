import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upsert import upsert_papers

HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> $<$'


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/papers")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_no_page_carries_an_inline_script_or_style(client):
    upsert_papers([PaperRecord(arxiv_id="2603.00001", title=HOSTILE, abstract=HOSTILE, authors=[HOSTILE])])
    for url in ["/", "/papers/2603.00001", "/organizations"]:
        body = client.get(url).content.decode()
        assert "<script>" not in body and " style=" not in body and "onerror=" not in body.replace("onerror=alert",
                                                                                                       "")


@pytest.mark.django_db
def test_healthz_reports_database_and_sources(client):
    from dailypapers.sources.models import SourceState

    SourceState.objects.create(name="hf", last_error="HTTP 503 from upstream")
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True
    assert body["checks"]["database"] == {"ok": True, "vendor": connection.vendor}
    assert body["checks"]["sources"]["hf"]["last_error"] == "HTTP 503 from upstream"


def _break_database():
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-dir/db.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"  # nothing listens there: connection refused
    return saved


@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_pages_answer_503_and_recover_without_a_restart(client):
    upsert_papers([PaperRecord(arxiv_id="2603.00001", title="Still here")])
    saved = _break_database()
    try:
        response = client.get("/papers/2603.00001")
        assert response.status_code == 503 and response["Retry-After"] == "30"
        assert "Temporarily unavailable" in response.content.decode()
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["checks"]["database"]["ok"] is False
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert client.get("/papers/2603.00001").status_code == 200
    assert Paper.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path):
    from dailypapers.ops.backups import backup, restore

    upsert_papers([PaperRecord(arxiv_id="2603.00001", title="Kept", authors=["Alice Quark"]),
                   PaperRecord(arxiv_id="2603.00002", title="Also kept")])
    path = backup(tmp_path / "site.backup")
    assert path.stat().st_size > 0
    Paper.objects.filter(arxiv_id="2603.00001").delete()
    upsert_papers([PaperRecord(arxiv_id="2603.00003", title="After the backup")])
    restore(path)
    assert sorted(Paper.objects.values_list("arxiv_id", "title")) == [("2603.00001", "Kept"),
                                                                       ("2603.00002", "Also kept")]
    assert [a.name for a in Paper.objects.get(arxiv_id="2603.00001").ordered_authors] == ["Alice Quark"]


def test_restore_refuses_what_is_not_a_backup(tmp_path, db):
    from dailypapers.ops.backups import BackupError, restore

    junk = tmp_path / "junk.backup"
    junk.write_text("not a database")
    with pytest.raises(BackupError):
        restore(junk)
    with pytest.raises(BackupError):
        restore(tmp_path / "missing.backup")


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = os.environ | {"DAILYPAPERS_HOME": str(tmp_path), "HTTPS": "true", "DEBUG": "false",
                        "ALLOWED_HOSTS": "papers.example.org"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "dailypapers.cli", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_logs_are_one_json_object_a_line():
    import logging

    from dailypapers.ops.logging import JsonFormatter

    record = logging.LogRecord("dailypapers.sources", logging.WARNING, __file__, 1, "fetched %d papers", (3,), None)
    record.source = "hf"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"], entry["source"]) == (
        "warning", "dailypapers.sources", "fetched 3 papers", "hf")
