import numpy as np
import pytest

from dailypapers.papers.models import Paper
from dailypapers.search import api, jobs

pytestmark = pytest.mark.django_db


def test_similar_papers_are_the_nearest_by_meaning(embedded):
    speech = Paper.objects.get(arxiv_id="2603.00006")
    similar = api.similar_papers(speech, k=2)
    assert len(similar) == 2 and speech not in similar
    assert similar[0].arxiv_id == "2603.00005"  # the other paper about languages
    jobs.reindex_if_stale()
    assert api.similar_papers(speech, k=2) == similar


def test_similar_papers_is_empty_before_a_paper_is_embedded(corpus):
    assert api.similar_papers(Paper.objects.first()) == []


def test_paper_embeddings_and_query_vectors_are_comparable_unit_vectors(embedded):
    pks = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    vectors = api.paper_embeddings(pks + [10**9])
    assert set(vectors) == set(pks)
    robot = vectors[Paper.objects.get(arxiv_id="2603.00002").pk]
    assert robot.dtype == np.float32 and robot.shape == (384,)
    assert abs(float(np.linalg.norm(robot)) - 1) < 1e-5
    query = api.embed_query("a robot arm grasping objects")
    assert abs(float(np.linalg.norm(query)) - 1) < 1e-5
    assert max(vectors, key=lambda pk: float(vectors[pk] @ query)) == Paper.objects.get(arxiv_id="2603.00002").pk
    assert api.embed_query("a  robot arm grasping objects") is query  # LRU cache, whitespace folded
