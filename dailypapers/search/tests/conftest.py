"""A small hand-made corpus (invented papers) and an isolated index directory per test.

The model files are built once per session (the root conftest); a test that needs vectors asks for
``embedded``, one that compares with sentence-transformers for ``reference``.
"""

import datetime as dt

import numpy as np
import pytest

from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import embedder, jobs, live, minilm

DAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="session")
def reference():
    """``encode(texts) -> (n, 384)`` through sentence-transformers on torch fp32: the library the ONNX
    graph is checked against (installed for the tests only; no site process imports torch)."""
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm.weights_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = minilm.REFERENCE_MAX_TOKENS

    def encode(texts):
        return model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    return encode


_VECTORS = {}


@pytest.fixture(autouse=True)
def remembered_vectors(monkeypatch):
    """The real model embeds each distinct text once per session and precision; the corpus recurs in
    most tests."""
    encode = embedder.encode_documents

    def remembering(texts, batch_size=32):
        made_by = embedder.fingerprint()
        missing = [t for t in dict.fromkeys(texts) if (made_by, t) not in _VECTORS]
        _VECTORS.update(zip([(made_by, t) for t in missing], encode(missing, batch_size), strict=True))
        return np.stack([_VECTORS[made_by, t] for t in texts]) if texts else encode([])

    monkeypatch.setattr(embedder, "encode_documents", remembering)


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    settings.SEARCH_INDEX_DIR = str(tmp_path / "index")
    live.reset()
    embedder.reset()
    yield tmp_path / "index"
    live.reset()
    embedder.reset()


def record(n, title, abstract, day=DAY, **fields):
    return PaperRecord(
        arxiv_id=f"2603.{n:05d}", title=title, abstract=abstract,
        authors=fields.pop("authors", ["Alice Quark", "Bob Lepton"]),
        published=fields.pop("published", day - dt.timedelta(days=1)),
        hf_upvotes=fields.pop("upvotes", n), featured_on=day,
        featured_at=dt.datetime.combine(day, dt.time(4), tzinfo=dt.UTC), **fields,
    )


PAPERS = [
    record(1, "Folding proteins with attention",
           "We predict the three-dimensional structure of a protein from its amino acid sequence with a "
           "transformer, reaching atomic accuracy on most targets.",
           categories=["q-bio.BM", "cs.LG"], authors=["Alice Quark", "Dana Boson"]),
    record(2, "Robotic manipulators grasping novel objects",
           "A robotic arm learns to grasp household items it has never seen, using depth images and a "
           "learned grasp quality network trained in simulation.",
           categories=["cs.RO"], github_repo="https://github.com/charlie/grasp", upvotes=40),
    record(3, "Zorblax: entropy coding with learned priors",
           "We introduce Zorblax, an entropy coder whose priors are learned from data, and use it to "
           "shrink neural network checkpoints.",
           categories=["cs.IT"], organization=OrgRecord("Lantern Lab", "lantern")),
    record(4, "Learned image compression at low bitrates",
           "Neural image compression with hyperpriors and learned entropy models beats classical codecs "
           "at low bitrates on photographs.",
           categories=["cs.CV", "eess.IV"], published=dt.date(2025, 6, 1)),
    record(5, "Translating low-resource languages with monolingual data",
           "Back-translation and denoising objectives let a translation model learn languages with few "
           "parallel sentences.",
           categories=["cs.CL"], organization=OrgRecord("Lantern Lab", "lantern"), authors=["Charlie Gluon"]),
    record(6, "Speech recognition for code-switched conversations",
           "An automatic speech recognizer that handles speakers who switch between two languages within a "
           "sentence.",
           categories=["cs.CL", "eess.AS"], day=DAY + dt.timedelta(days=1)),
]


@pytest.fixture
def corpus(db):
    result = upsert_papers(PAPERS)
    return result


@pytest.fixture
def embedded(corpus):
    jobs.embed_pending()
    live.reset()
