"""``export --vectors`` then ``import``: a moved or restored site reuses its vectors."""

import gzip
import io
import json

from django.core.management import call_command

from dailypapers.papers.models import Paper
from dailypapers.search import jobs
from dailypapers.search.models import PaperEmbedding


def test_exported_vectors_are_reused_when_the_model_matches_and_the_rest_queued(embedded, tmp_path):
    before = dict(PaperEmbedding.objects.values_list("paper__arxiv_id", "vector"))
    path = tmp_path / "site.jsonl.gz"
    call_command("export", str(path), "--vectors", stderr=io.StringIO())
    with gzip.open(path, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    assert all(row["embedding"]["model"].startswith("all-MiniLM-L6-v2/128/") for row in rows)
    rows[0]["embedding"]["model"] = "another-model/128/onnx-fp32"  # made by another model: not ours
    rows[1]["embedding"]["vector"] = "bm90IGEgdmVjdG9y"  # malformed: not 384 floats
    with gzip.open(path, "wt") as out:
        out.writelines(json.dumps(row) + "\n" for row in rows)

    Paper.objects.all().delete()  # a new site
    out = io.StringIO()
    call_command("import", str(path), "--no-progress", stdout=out)
    assert "4 vectors reused; 2 not" in out.getvalue()
    after = dict(PaperEmbedding.objects.filter(vector__isnull=False).values_list("paper__arxiv_id", "vector"))
    assert {a: bytes(v) for a, v in after.items()} == {
        a: bytes(v) for a, v in before.items() if a not in (rows[0]["arxiv_id"], rows[1]["arxiv_id"])}
    assert jobs.embed_pending() == 2  # only the two without a usable vector are computed
