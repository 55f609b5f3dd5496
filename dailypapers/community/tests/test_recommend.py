import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from dailypapers.accounts.tests.people import make_papers
from dailypapers.community import collections, recommend
from dailypapers.community.models import InterestSeed, NotInterested
from dailypapers.papers import votes
from dailypapers.papers.models import Paper
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search.models import PaperEmbedding, vector_to_bytes

pytestmark = pytest.mark.django_db

# Three invented topics; papers 1-8 are about tides, 11-18 about origami, 21-28 about sheep.
TOPICS = {"tides": range(1, 9), "origami": range(11, 19), "sheep": range(21, 29)}


def embed(papers, rng):
    """Stored vectors like the embed job writes: each paper near its topic's direction."""
    directions = {name: rng.normal(size=384) for name in TOPICS}
    for paper in papers:
        n = int(paper.arxiv_id.split(".")[1])
        topic = next(name for name, numbers in TOPICS.items() if n in numbers)
        vector = directions[topic] + 0.6 * rng.normal(size=384)
        PaperEmbedding.objects.create(paper=paper, vector=vector_to_bytes(vector / np.linalg.norm(vector)))


@pytest.fixture
def corpus(db):
    numbers = [n for numbers in TOPICS.values() for n in numbers]
    papers = make_papers(*numbers, published=timezone.now().date() - dt.timedelta(days=2))
    for paper in papers:
        n = int(paper.arxiv_id.split(".")[1])
        topic = next(name for name, numbers in TOPICS.items() if n in numbers)
        Paper.objects.filter(pk=paper.pk).update(title=f"{topic.title()} study {n}",
                                                 category_codes="physics.ao-ph" if topic == "tides" else "cs.LG")
    embed(Paper.objects.all(), np.random.default_rng(5))
    return {p.arxiv_id: p for p in Paper.objects.all()}


def topic_of(paper):
    return paper.title.split()[0].lower()


def test_a_cold_start_has_no_picks_and_asks_for_interests(client, alice, corpus):
    assert recommend.recommend(alice) == []
    client.force_login(alice)
    body = client.get("/for-you").content.decode()
    assert "Tell us what you like" in body and 'name="kind" value="author"' in body


def test_a_saved_paper_brings_its_neighbours_with_a_reason(alice, corpus):
    saved = corpus["2603.00003"]
    collections.add(collections.reading_list(alice), saved)
    picks = recommend.recommend(alice, limit=7)
    assert [topic_of(p.paper) for p in picks] == ["tides"] * 7
    assert saved not in [p.paper for p in picks], "never recommend what the user already has"
    assert picks[0].reason == "Similar to “Tides study 3”, which you saved"


def test_not_interested_pushes_papers_down_and_out(alice, corpus):
    votes.set_vote(alice, corpus["2603.00001"], True)
    votes.set_vote(alice, corpus["2603.00011"], True)
    before = [p.paper.arxiv_id for p in recommend.recommend(alice, limit=30)]
    for n in (12, 13, 14):
        NotInterested.objects.create(user=alice, paper=corpus[f"2603.{n:05d}"])
    after = recommend.recommend(alice, limit=30)
    assert {"2603.00012", "2603.00013", "2603.00014"} & {p.paper.arxiv_id for p in after} == set()
    ranks = {p.paper.arxiv_id: i for i, p in enumerate(after)}
    origami = [a for a in before if a.startswith("2603.0001") and a in ranks]
    assert np.mean([ranks[a] for a in origami]) > np.mean([before.index(a) for a in origami])
    assert "upvoted" in after[0].reason


def test_a_positive_paper_switches_to_the_linear_model(alice, corpus):
    InterestSeed.objects.create(user=alice, kind="category", category="cs.LG")
    assert recommend.mode(alice) == "similarity", "followed categories alone: nearest-anchor similarity"
    for n in range(1, 1 + recommend.LINEAR_MIN_POSITIVES):
        votes.set_vote(alice, corpus[f"2603.{n:05d}"], True)
    assert recommend.mode(alice) == "linear"


def test_the_linear_model_ranks_two_tastes_above_the_rest(alice, corpus):
    for n in [*range(1, 5), *range(11, 15)]:
        votes.set_vote(alice, corpus[f"2603.{n:05d}"], True)
    picks = recommend.recommend(alice, limit=30)
    assert {topic_of(p.paper) for p in picks[:4]} == {"tides", "origami"}
    assert all(p.reason.startswith("Similar to “") and "which you upvoted" in p.reason for p in picks)
    sheep = [p.score for p in picks if topic_of(p.paper) == "sheep"]
    others = [p.score for p in picks if topic_of(p.paper) != "sheep"]
    assert max(sheep) < min(others)


def test_the_linear_model_learns_two_tastes_at_once():
    """Positives spread over two directions: the model ranks both above the background."""
    rng = np.random.default_rng(1)
    a, b, other = (rng.normal(size=16) for _ in range(3))

    def around(center, n):
        v = center + 0.3 * rng.normal(size=(n, 16))
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    positives = np.vstack([around(a, 8), around(b, 8)])
    candidates = np.vstack([around(a, 5), around(b, 5), around(other, 40)])
    everything = np.ones((len(candidates), 1), dtype=bool)
    weights = recommend.fit_linear_many([positives], [np.zeros((0, 16))], candidates, everything)[:, 0]
    scores = candidates @ weights[:-1] + weights[-1]
    top = np.argsort(-scores)[:10]
    assert set(top) == set(range(10))


def test_followed_authors_and_categories_are_anchors(alice, corpus):
    InterestSeed.objects.create(user=alice, kind="category", category="physics.ao-ph")
    picks = recommend.recommend(alice, limit=5)
    assert {topic_of(p.paper) for p in picks} == {"tides"}
    assert picks[0].reason == "Similar to papers in physics.ao-ph, which you follow"


def test_a_digest_can_exclude_papers_and_move_the_window(alice, corpus):
    collections.add(collections.reading_list(alice), corpus["2603.00001"])
    sent = [corpus["2603.00002"].pk, corpus["2603.00003"].pk]
    picked = [p.paper.pk for p in recommend.recommend(alice, limit=50, exclude=sent)]
    assert picked and not set(sent) & set(picked)
    later = timezone.now() + dt.timedelta(days=recommend.RECENT_DAYS + 3)
    assert recommend.recommend(alice, now=later) == [], "nothing published in that window"


def test_hidden_and_old_papers_are_not_picked(alice, corpus):
    collections.add(collections.reading_list(alice), corpus["2603.00001"])
    Paper.objects.filter(arxiv_id="2603.00002").update(hidden=True)
    Paper.objects.filter(arxiv_id="2603.00003").update(
        published=timezone.now().date() - dt.timedelta(days=recommend.RECENT_DAYS + 5))
    picked = {p.paper.arxiv_id for p in recommend.recommend(alice, limit=50)}
    assert "2603.00002" not in picked and "2603.00003" not in picked and "2603.00004" in picked


def test_the_page_shows_picks_with_reasons_and_a_not_interested_button(client, alice, corpus):
    collections.add(collections.reading_list(alice), corpus["2603.00021"])
    client.force_login(alice)
    response = client.get("/for-you")
    body = response.content.decode()
    assert "Similar to “Sheep study 21”, which you saved" in body
    first = response.context["picks"][0].paper
    client.post(f"/papers/{first.arxiv_id}/not-interested", {"next": "/for-you"})
    assert NotInterested.objects.filter(user=alice, paper=first).exists()
    assert first not in [p.paper for p in client.get("/for-you").context["picks"]]


def test_interests_are_added_checked_and_removed(client, alice, corpus):
    client.force_login(alice)
    client.post("/for-you/interests", {"kind": "paper", "value": "https://arxiv.org/abs/2603.00011v2"})
    client.post("/for-you/interests", {"kind": "author", "value": "ilse varga"})
    client.post("/for-you/interests", {"kind": "category", "value": "cs.LG"})
    for kind, value in [("paper", "2603.99999"), ("paper", "nonsense"), ("author", "Nobody Atall"),
                        ("category", "zz.QQ"), ("category", "<b>"), ("bogus", "x"), ("author", "  ")]:
        client.post("/for-you/interests", {"kind": kind, "value": value})
    seeds = InterestSeed.objects.filter(user=alice)
    assert sorted(seeds.values_list("kind", flat=True)) == ["author", "category", "paper"]
    assert seeds.get(kind="author").author.name == "Ilse Varga"
    picks = client.get("/for-you").context["picks"]
    assert picks and picks[0].reason
    client.post("/for-you/interests", {"remove": seeds.get(kind="paper").pk})
    assert seeds.count() == 2


def test_for_you_needs_a_login(client):
    assert client.get("/for-you").url == "/login?next=/for-you"


def test_it_ranks_many_users_at_once_exactly_as_one_at_a_time(alice, bob, charlie, django_user_model, corpus):
    """The digests' batch entry point: two linear users fitted together, one following a category
    (similarity), one cold start, each with their own exclusions, get what each gets alone."""
    dana = django_user_model.objects.create_user("dana", "dana@example.org", "pw")
    collections.add(collections.reading_list(alice), corpus["2603.00003"])
    votes.set_vote(alice, corpus["2603.00021"], True)
    NotInterested.objects.create(user=alice, paper=corpus["2603.00012"])
    votes.set_vote(dana, corpus["2603.00011"], True)
    InterestSeed.objects.create(user=bob, kind="category", category="physics.ao-ph")
    NotInterested.objects.create(user=bob, paper=corpus["2603.00004"])
    exclude = {alice.pk: {corpus["2603.00005"].pk}, bob.pk: {corpus["2603.00006"].pk}, dana.pk: set()}
    users = [alice, bob, charlie, dana]

    together = recommend.rank_many([user.pk for user in users], limit=20, exclude=exclude)

    assert together[charlie.pk] == [] and all(together[user.pk] for user in (alice, bob, dana))
    for user in users:
        alone = recommend.rank_many([user.pk], limit=20, exclude={user.pk: exclude.get(user.pk, set())})[user.pk]
        assert [(r.paper_id, r.reason) for r in together[user.pk]] == [(r.paper_id, r.reason) for r in alone]
        assert np.allclose([r.score for r in together[user.pk]], [r.score for r in alone], rtol=1e-5, atol=1e-6)
        picks = recommend.recommend(user, limit=20, exclude=exclude.get(user.pk, ()))
        assert [p.paper.pk for p in picks] == [r.paper_id for r in alone]
        assert not {r.paper_id for r in alone} & exclude.get(user.pk, set())
    assert "upvoted" in together[dana.pk][0].reason and "follow" in together[bob.pk][0].reason


def test_the_batched_linear_fit_is_each_users_fit_alone():
    rng = np.random.default_rng(3)
    background = rng.normal(size=(60, 16)).astype(np.float32)
    positives = [background[:2] + 0.1, background[5:9] - 0.1]
    negatives = [background[20:21], np.zeros((0, 16), np.float32)]
    pools = np.ones((60, 2), dtype=bool)
    pools[:10, 1] = False  # the second user's pool lacks the first ten papers
    together = recommend.fit_linear_many(positives, negatives, background, pools)
    for column in range(2):
        pool = background[pools[:, column]]
        alone = recommend.fit_linear_many([positives[column]], [negatives[column]], pool,
                                          np.ones((len(pool), 1), dtype=bool))
        assert np.allclose(together[:, column], alone[:, 0], rtol=1e-4, atol=1e-6)


@pytest.mark.shared
def test_a_cold_account_gets_picks_after_two_upvotes_on_the_demo_data(shared_dir, client):
    """The demo's newest papers are months before today: candidates come from its latest feed days."""
    from dailypapers.accounts.tests.people import make_user
    from dailypapers.papers.models import Submission
    from dailypapers.search import jobs
    from dailypapers.sources.files import ParseProblem, read_paths

    records = [r for r in read_paths([shared_dir / "data" / "hf-daily-papers.jsonl.gz"])
               if not isinstance(r, ParseProblem)]
    latest = max(r.featured_on for r in records)
    assert (timezone.now().date() - latest).days > recommend.RECENT_DAYS  # the point of the test
    upsert_papers([r for r in records if r.featured_on >= latest - dt.timedelta(days=recommend.RECENT_DAYS)])
    # Embedding the window is enough (every paper would take minutes): the candidates are these.
    jobs.enqueue_missing()
    while jobs.embed_one_batch(256) is not None:
        pass
    newest_day = Submission.objects.filter(feed_day=latest).order_by("-paper__hf_upvotes")
    carol = make_user("carol")
    client.force_login(carol)
    assert recommend.recommend(carol) == []  # cold: nothing to go on yet
    for submission in newest_day[:2]:
        votes.set_vote(carol, submission.paper, up=True)
    picks = recommend.recommend(carol, limit=10)
    assert len(picks) == 10 and all(p.reason.startswith("Similar to") for p in picks)
    assert "Similar to" in client.get("/for-you").content.decode()
