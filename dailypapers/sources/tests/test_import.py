"""``dailypapers import`` on hand-written files in every accepted shape, and on the real shared data."""

import gzip
import io
import json
import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.papers.models import Organization, Paper
from dailypapers.sources.export import export_rows

pytestmark = pytest.mark.django_db

LINE_1 = {
    "arxiv_id": "2603.00001", "title": "Sparse Lanterns:\n  Routing Light", "abstract": "We route light.",
    "authors": ["Alice Quark", "Bob Lepton"], "published": "2026-02-27", "categories": ["cs.LG", "cs.CV"],
    "upvotes": 12, "daily_date": "2026-03-02", "submitted_on_daily_at": "2026-03-02T04:30:00.000Z",
    "organization": "Lantern Lab", "github_url": "https://github.com/alice/lanterns", "github_stars": 31,
    "project_page": None, "num_comments": 2, "submitted_by": "charlie", "ai_keywords": ["light routing"],
}
LINE_2 = LINE_1 | {"arxiv_id": "2603.00002", "title": "<script>alert(1)</script> & $<$ bounds", "upvotes": 3,
                   "organization": None, "github_url": None, "github_stars": None, "categories": []}


def api_entry(row, hidden_author=None, schema="new"):
    """The ``/api/daily_papers`` item a JSONL row was derived from (invented content)."""
    authors = [{"_id": f"a{i}", "name": n, "hidden": False} for i, n in enumerate(row["authors"])]
    if hidden_author:
        authors.insert(0, {"_id": "h", "name": hidden_author, "hidden": True})
    paper = {"id": row["arxiv_id"], "authors": authors, "publishedAt": row["published"] + "T17:00:00.000Z",
             "title": row["title"], "summary": row["abstract"], "upvotes": row["upvotes"]}
    entry = {"paper": paper, "publishedAt": row["submitted_on_daily_at"], "title": row["title"],
             "numComments": row["num_comments"], "thumbnail": "https://example.test/t.png"}
    if schema == "new":
        paper |= {"submittedOnDailyAt": row["submitted_on_daily_at"],
                  "submittedOnDailyBy": {"user": row["submitted_by"], "fullname": "C"},
                  "githubRepo": row["github_url"], "githubStars": row["github_stars"],
                  "ai_keywords": row["ai_keywords"]}
        if row["organization"]:
            entry["organization"] = {"name": "lantern", "fullname": row["organization"],
                                     "avatar": "https://example.test/lantern.png"}
    return entry


def write_jsonl(path, lines, gz=False):
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def run_import(*paths):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def comparable_export(drop=()):
    return [{k: v for k, v in row.items() if k not in drop} for row in export_rows()]


def test_it_imports_jsonl_and_twice_changes_nothing(tmp_path):
    path = write_jsonl(tmp_path / "papers.jsonl.gz", [LINE_1, LINE_2], gz=True)
    out, err = run_import(path)
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in out and err == ""
    paper = Paper.objects.get(arxiv_id="2603.00001")
    assert paper.title == "Sparse Lanterns: Routing Light"
    assert paper.categories == ["cs.LG", "cs.CV"] and paper.primary_category == "cs.LG"
    assert (paper.upvotes, paper.num_comments, paper.github_stars) == (12, 2, 31)
    assert paper.organization.name == "Lantern Lab"
    assert paper.keywords == ["light routing"]
    before = comparable_export()
    out, _ = run_import(path)
    assert "0 created, 0 updated, 2 unchanged, 0 rejected" in out
    assert comparable_export() == before


def test_corrupt_lines_are_reported_by_number_and_the_rest_lands(tmp_path):
    lines = [LINE_1, '{"arxiv_id": "2603.00003", "title": "cut off', LINE_1 | {"arxiv_id": "bogus"},
             "[1, 2]", LINE_1 | {"arxiv_id": "2603.00004", "published": "yesterday"},
             LINE_1 | {"arxiv_id": "2603.00005", "authors": "Alice"}, "", LINE_2]
    out, err = run_import(write_jsonl(tmp_path / "mixed.jsonl", lines))
    assert "2 created" in out and "5 unreadable" not in out
    for lineno, reason in [(2, "invalid JSON"), (3, "not an arXiv id"), (4, "expected a JSON object"),
                           (5, "published is not a date"), (6, "authors is not a list of strings")]:
        assert f"mixed.jsonl:{lineno}: {reason}" in err
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"2603.00001", "2603.00002"}


def test_api_responses_in_every_archived_shape_give_the_jsonl_database(tmp_path):
    run_import(write_jsonl(tmp_path / "papers.jsonl", [LINE_1, LINE_2]))
    expected = comparable_export(drop=("categories",))  # arXiv's, not in the API
    Paper.objects.all().delete()
    Organization.objects.all().delete()

    folder = tmp_path / "api"
    folder.mkdir()
    # 1: a plain list, newest schema, with a hidden author HF does not show.
    (folder / "2026-03-02.json").write_text(json.dumps([api_entry(LINE_1, hidden_author="Hidden Person")]))
    # 2: the {"status","date","count","data"} wrapper holding a Python-repr string entry.
    wrapped = {"status": "ok", "date": "2026-03-02", "count": 1, "data": [repr(api_entry(LINE_2))]}
    (folder / "wrapped.json").write_text(json.dumps(wrapped))
    archive = tmp_path / "api.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="hf-daily-papers-api")
    out, err = run_import(archive)
    assert "2 created" in out and err == ""
    # The API says more than the JSONL derived from it (its thumbnail, exact times, HF ids): ``hf``.
    assert comparable_export(drop=("categories", "hf")) == [{k: v for k, v in row.items() if k != "hf"}
                                                           for row in expected]
    assert [row["hf"]["thumbnail"] for row in comparable_export()] == ["https://example.test/t.png"] * 2


def test_old_schema_entries_import(tmp_path):
    entry = api_entry(LINE_2, schema="old")
    (tmp_path / "2024-05-27.json").write_text(json.dumps([entry]))
    out, _ = run_import(tmp_path)
    paper = Paper.objects.get()
    assert paper.submission.feed_day.isoformat() == "2024-05-27"
    assert paper.submission.submitted_at.isoformat().startswith("2026-03-02T04:30")
    assert paper.title == "<script>alert(1)</script> & $<$ bounds"
    assert paper.github_repo == "" and paper.organization is None


def test_broken_files_are_reported_and_others_still_import(tmp_path):
    (tmp_path / "2026-03-01.json").write_text('[{"paper": ')
    (tmp_path / "2026-03-02.json").write_text(json.dumps([{"no": "paper"}, api_entry(LINE_1)]))
    (tmp_path / "2026-03-03.json").write_text(json.dumps({"unexpected": True}))
    out, err = run_import(tmp_path)
    assert "1 created" in out
    assert "2026-03-01.json: invalid JSON" in err
    assert "2026-03-02.json#0: entry without a 'paper' object" in err
    assert "2026-03-03.json: object without a 'data' list" in err


def test_nothing_readable_is_an_error(tmp_path):
    with pytest.raises(CommandError):
        run_import(tmp_path / "missing.jsonl")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CommandError):
        run_import(tmp_path / "notes.txt")


def test_export_writes_what_import_reads(tmp_path):
    run_import(write_jsonl(tmp_path / "papers.jsonl", [LINE_1, LINE_2]))
    before = comparable_export()
    call_command("export", str(tmp_path / "out.jsonl.gz"), stderr=io.StringIO())
    Paper.objects.all().delete()
    run_import(tmp_path / "out.jsonl.gz")
    assert comparable_export() == before


@pytest.mark.shared
def test_the_real_jsonl_and_the_580_raw_responses_give_the_same_database(shared_dir):
    """The 9,877-paper JSONL imports whole, twice changes nothing, and the raw API archive it was derived
    from gives the same papers (categories aside: they came from arXiv, the API does not carry them)."""
    out, err = run_import(shared_dir / "data" / "hf-daily-papers.jsonl.gz")
    assert "9877 created, 0 updated, 0 unchanged, 0 rejected" in out and err == ""
    from_jsonl = comparable_export(drop=("categories",))
    assert len(from_jsonl) == 9877
    out, _ = run_import(shared_dir / "data" / "hf-daily-papers.jsonl.gz")
    assert "0 created, 0 updated, 9877 unchanged, 0 rejected" in out

    Paper.objects.all().delete()
    Organization.objects.all().delete()
    out, err = run_import(shared_dir / "data" / "hf-daily-papers-api.tar.gz")
    assert "9877 created" in out and "rejected" in out and err == ""
    # The archive says more than the JSONL derived from it: the 2024 submitters (named on the listing
    # only) and organizations as Hugging Face last described them (by id; the JSONL has names only).
    from_api = comparable_export(drop=("categories",))
    more = {key for mine, theirs in zip(from_api, from_jsonl, strict=True) for key in mine if mine[key] != theirs[key]}
    assert more == {"submitted_by", "organization", "hf"}
    drop = ("categories", "submitted_by", "organization", "hf")
    assert comparable_export(drop=drop) == [{k: v for k, v in row.items() if k not in drop} for row in from_jsonl]
    filled = [row for row in from_api if row["submitted_by"]]
    assert len(filled) > len([row for row in from_jsonl if row["submitted_by"]])


@pytest.mark.shared
@pytest.mark.parametrize("name", ["daily_papers_2026-08-21_full.json", "daily_papers_2025-06-02_first2.json",
                                  "daily_papers_2024-05-27_first2_oldschema.json"])
def test_recorded_daily_responses_of_each_schema_parse(shared_dir, tmp_path, name):
    from dailypapers.sources.files import ParseProblem, read_paths

    items = list(read_paths([shared_dir / "fixtures" / "hf_api" / name]))
    assert items and not [i for i in items if isinstance(i, ParseProblem)]
    day = name.split("_")[2]
    assert all(r.featured_on.isoformat() == day and r.title and r.authors for r in items)


def test_an_export_keeps_what_hugging_face_sent_and_imports_back_the_same(tmp_path):
    """``dailypapers export`` carries HF's extras (``hf``), so export → import loses nothing."""
    day = tmp_path / "2026-03-02.json"
    entry = api_entry(LINE_1)
    entry["paper"] |= {"discussionId": "d1", "ai_summary": "Light, routed.", "ai_summary_model": "m/1",
                       "mediaUrls": ["https://example.test/m.mp4"], "title": "Sparse Lanterns:\n  Routing Light"}
    entry["paper"]["authors"][0]["status"] = "claimed_verified"
    entry |= {"submittedBy": {"name": "charlie", "fullname": "Charlie C.", "type": "user"},
              "isAuthorParticipating": True, "publishedAt": "2026-02-26T13:00:00.000Z"}
    day.write_text(json.dumps([entry]))
    run_import(day)
    exported = comparable_export()
    assert exported[0]["hf"]["ai_summary"] == "Light, routed."
    path = write_jsonl(tmp_path / "export.jsonl", exported)
    Paper.objects.all().delete()
    Organization.objects.all().delete()
    out, err = run_import(path)
    assert "1 created" in out and err == ""
    assert comparable_export() == exported
