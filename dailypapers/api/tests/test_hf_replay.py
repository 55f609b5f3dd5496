"""Replay Hugging Face's 580 recorded days through ``/api/daily_papers`` after importing them, and diff
every answer against its recording: items and their order, and for each item its key sets, types and
values. The only differences allowed are the ones docs/api.md lists (with the reason) under
"Differences from the recording"; the test holds the docs to that list.
"""

import ast
import io
import json
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.shared, pytest.mark.django_db]

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"

# (path, kind) -> why. Paths name keys from the item down, list positions as []. Kinds: "missing"
# (the recording has the key, we do not), "extra" (we send a key the recording lacks), "value",
# "type", "item missing" (a paper of the day we do not list), "order" (the day's ids, in order).
ALLOWED = {
    ("paper.authors[]", "item missing"): "hidden authors are not stored",
    ("summary", "extra"): "HF added the listing summary in March 2025; we send it for every day",
    ("isAuthorParticipating", "extra"): "HF added isAuthorParticipating in December 2024",
    ("thumbnail", "extra"): "the 2024 mediaUrl (a thumbnail) is served as thumbnail",
    ("mediaUrl", "missing"): "the 2024 mediaUrl (a thumbnail) is served as thumbnail",
    ("mediaUrls", "missing"): "an empty mediaUrls list is left out",
    ("paper.mediaUrls", "extra"): "media are sent in paper as well as on the listing",
    ("paper.submittedOnDailyAt", "extra"): "before June 2024 HF sent no submittedOnDailyAt; we know the day",
    ("paper.submittedOnDailyBy", "extra"): "before June 2024 HF named the submitter on the listing only",
    ("organization", "extra"): "before October 2025 HF named the organization inside paper only",
    ("organization.avatar", "value"): "an organization is served as HF last described it",
    ("organization.avatar", "extra"): "an organization is served as HF last described it",
    ("organization.fullname", "value"): "an organization is served as HF last described it",
    ("organization.name", "value"): "an organization is served as HF last described it",
    ("paper.organization.avatar", "value"): "an organization is served as HF last described it",
    ("paper.organization.avatar", "extra"): "an organization is served as HF last described it",
    ("paper.organization.fullname", "value"): "an organization is served as HF last described it",
    ("paper.organization.name", "value"): "an organization is served as HF last described it",
    ("paper.ai_keywords", "missing"): "an empty ai_keywords list is left out",
    ("paper.ai_keywords[]", "item missing"): "a keyword HF lists twice is kept once",
    ("paper.projectPage", "value"): "white space in and around links is folded",
    ("paper.githubRepo", "value"): "white space in and around links is folded",
    ("repeat listing", "value"): "a paper listed on a later day again keeps its first day's submission",
    ("paper.upvotes", "value"): "a paper listed on two days keeps the higher of its upvote snapshots",
    ("order", "order"): "a paper listed on a later day again ranks by its highest upvote count",
}


def recorded_days(tarball):
    with tarfile.open(tarball) as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            if member.isfile() and member.name.endswith(".json"):
                payload = json.loads(archive.extractfile(member).read())
                entries = payload["data"] if isinstance(payload, dict) else payload
                yield Path(member.name).stem, [ast.literal_eval(e) if isinstance(e, str) else e for e in entries]


def diff(ours, theirs, path, found):
    """Append (path, kind) for every difference between two JSON values."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in theirs.keys() - ours.keys():
            found.append((f"{path}{key}", "missing"))
        for key in ours.keys() - theirs.keys():
            found.append((f"{path}{key}", "extra"))
        for key in theirs.keys() & ours.keys():
            diff(ours[key], theirs[key], f"{path}{key}.", found)
    elif isinstance(theirs, list) and isinstance(ours, list):
        if len(theirs) != len(ours):
            found.append((f"{path.rstrip('.')}[]", "item missing" if len(ours) < len(theirs) else "extra"))
            theirs = [t for t in theirs if not (isinstance(t, dict) and t.get("hidden"))]
            if len(theirs) != len(ours):
                return
        for mine, real in zip(ours, theirs, strict=True):
            diff(mine, real, f"{path.rstrip('.')}[].", found)
    elif type(ours) is not type(theirs):
        found.append((path.rstrip("."), "type"))
    elif ours != theirs:
        found.append((path.rstrip("."), "value"))


def compare_day(ours, theirs, seen):
    """Differences between our answer for a day and its recording. ``seen``: ids listed on an earlier
    day; such a repeat listing is served with its first day's submission, so its differences count as one."""
    found = []
    by_id = {item["paper"]["id"]: item for item in ours}
    for item in theirs:
        mine = by_id.get(item["paper"]["id"])
        if mine is None:
            found.append(("item", "item missing"))
            continue
        differences = []
        diff(mine, item, "", differences)
        repeat = item["paper"]["id"] in seen
        found += [("repeat listing", "value")] if repeat and differences else differences
        seen.add(item["paper"]["id"])
    if [i["paper"]["id"] for i in ours] != [i["paper"]["id"] for i in theirs]:
        found.append(("order", "order"))
    return found


@pytest.fixture
def recording(shared_dir):
    return shared_dir / "data" / "hf-daily-papers-api.tar.gz"


@pytest.fixture
def no_rate_limit(settings):
    settings.API_RATE_LIMIT = 1_000_000


def test_every_recorded_day_is_served_as_recorded(client, recording, no_rate_limit):
    call_command("import", str(recording), "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    unexplained, explained, days, seen = [], Counter(), 0, set()
    for day, theirs in recorded_days(recording):
        response = client.get("/api/daily_papers", {"date": day, "limit": 100})
        assert response.status_code == 200, (day, response.content[:200])
        for path, kind in compare_day(response.json(), theirs, seen):
            if (path, kind) in ALLOWED:
                explained[path, kind] += 1
            else:
                unexplained.append((day, path, kind))
        days += 1
    assert days == 580
    summary = Counter((path, kind) for _, path, kind in unexplained).most_common()
    firsts = {(path, kind): day for day, path, kind in reversed(unexplained)}
    report = "\n".join(f"{count:6d} {path} ({kind}), first on {firsts[path, kind]}" for (path, kind), count in summary)
    assert not unexplained, f"unexplained differences:\n{report}"
    print("explained differences:", explained.most_common())


def test_every_allowed_difference_is_documented():
    docs = DOCS.read_text()
    section = docs[docs.index("### Differences from the recording"):]
    for path, kind in ALLOWED:
        assert f"`{path}`" in section, (path, kind)
