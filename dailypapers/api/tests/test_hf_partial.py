"""A record that came with less than Hugging Face usually sends still serves: a user object without
``fullname`` (which the schema and huggingface_hub require) gets the name we know, not a 500."""

import json

import pytest

from dailypapers.papers.upsert import upsert_papers
from dailypapers.sources import files

pytestmark = pytest.mark.django_db

ENTRY = {"paper": {"id": "2603.00042", "title": "Terse records", "summary": "Less than usual.",
                   "authors": [{"name": "Alice Quark", "hidden": False, "user": {"user": "aquark"}}],
                   "publishedAt": "2026-03-02T00:00:00.000Z", "upvotes": 4,
                   "submittedOnDailyAt": "2026-03-02T04:00:00.000Z", "submittedOnDailyBy": {"user": "charlie"}},
         "submittedBy": {"name": "charlie"}, "numComments": 0, "title": "Terse records"}


def test_user_objects_without_a_full_name_are_completed(client, tmp_path):
    day = tmp_path / "2026-03-02.json"
    day.write_text(json.dumps([ENTRY]))
    upsert_papers([r for r in files.read_paths([day]) if not isinstance(r, files.ParseProblem)])
    response = client.get("/api/daily_papers?date=2026-03-02")
    assert response.status_code == 200
    (item,) = response.json()
    assert item["paper"]["submittedOnDailyBy"] == {"user": "charlie", "fullname": "charlie", "type": "user"}
    assert item["submittedBy"]["fullname"] == "charlie"
    assert item["paper"]["authors"][0]["user"]["fullname"] == "aquark"
