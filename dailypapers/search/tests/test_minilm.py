"""The MiniLM graphs built from the packaged weights: equal to sentence-transformers, built once,
rebuilt when stale, refused when wrong."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dailypapers.search import minilm

TEXTS = [*minilm.REFERENCE_TEXTS, "robots that grasp unfamiliar household objects", "Ünïcödé, LaTeX $x^2$ & <b>"]


@pytest.fixture
def model_dir(settings, tmp_path):
    settings.SEARCH_MODEL_DIR = str(tmp_path / "model")
    return tmp_path / "model"


def fp32():
    return minilm.Encoder(minilm.path("fp32"), threads=1, max_tokens=minilm.REFERENCE_MAX_TOKENS)


def test_the_reference_vectors_are_sentence_transformers_own(reference):
    assert np.allclose(np.load(minilm.REFERENCE_FILE), reference(minilm.REFERENCE_TEXTS), atol=1e-5)


def test_the_fp32_graph_equals_sentence_transformers_alone_and_padded(reference):
    expected, encoder = reference(TEXTS), fp32()
    alone = np.stack([encoder(text) for text in TEXTS])
    batched = encoder.encode(TEXTS, batch_size=4)  # lengths differ: each batch is padded to its longest
    assert (expected * alone).sum(1).min() > 0.99999
    assert (expected * batched).sum(1).min() > 0.99999


def test_the_int8_graph_has_8_bit_weights_in_every_layer():
    import onnx

    minilm.ensure(("int8",))
    graph = onnx.load(str(minilm.path("int8"))).graph
    assert sum(node.op_type == "MatMulInteger" for node in graph.node) >= 6 * 6  # Q, K, V, out, 2 feed-forward


def test_it_builds_once_and_again_when_its_stamp_is_stale(model_dir):
    with pytest.raises(minilm.ModelNotReady, match="doctor"):
        minilm.path("fp32")
    assert minilm.ensure(("fp32",)) == ["fp32"]
    assert minilm.ensure(("fp32",)) == []  # built: nothing to do
    stamp = model_dir / "minilm-l6-v2-fp32.onnx.json"
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "builder": minilm.BUILDER_VERSION - 1}))
    with pytest.raises(minilm.ModelNotReady):
        minilm.path("fp32")  # made by another version of the builder
    assert minilm.ensure(("fp32", "int8")) == ["fp32", "int8"]
    files = sorted(p.name for p in model_dir.iterdir() if not p.name.startswith("."))
    assert files == ["minilm-l6-v2-fp32.onnx", "minilm-l6-v2-fp32.onnx.data", "minilm-l6-v2-fp32.onnx.json",
                     "minilm-l6-v2-int8.onnx", "minilm-l6-v2-int8.onnx.json"]


def test_a_graph_that_disagrees_with_the_reference_is_refused(model_dir, monkeypatch):
    build = minilm.build_graph

    def off_by_a_little(path):
        model = build(path)
        from onnx import numpy_helper

        for i, tensor in enumerate(model.graph.initializer):
            if tensor.name == "encoder.layer.3.attention.self.query.weight":  # sharper attention in one layer
                model.graph.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) * 1.1,
                                                                            tensor.name))
        return model

    monkeypatch.setattr(minilm, "build_graph", off_by_a_little)
    with pytest.raises(RuntimeError, match="disagrees with sentence-transformers"):
        minilm.ensure(("fp32",))
    assert not minilm.is_built("fp32") and not list(model_dir.glob("*.onnx")) and not list(model_dir.glob("*.json"))


def test_no_site_process_imports_torch(tmp_path):
    """Web and worker processes load the model through ONNX Runtime only: the setup step, the worker,
    a web worker's warm-up and a search and the front page through the WSGI application must not import
    torch (nor transformers)."""
    script = (
        "import sys, django; django.setup()\n"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from dailypapers.ops import warmup, worker\n"
        "from dailypapers.search import api, jobs, setup\n"
        "from dailypapers.wsgi import application\n"
        "setup.prepare_search(); api.warm()\n"
        "print([warmup._get(application, path) for path in warmup.PATHS])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "dailypapers.settings", "DAILYPAPERS_HOME": str(tmp_path),
                        "DATABASE_URL": "", "DEBUG": "true"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,  # noqa: S603
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    statuses, imported = result.stdout.strip().splitlines()[-2:]
    assert statuses == "['200', '200']" and imported == "[]"


def test_onnxruntime_and_usearch_live_in_one_process(tmp_path):
    """Imported after usearch, onnxruntime crashes the process: the search package orders them. A
    child process, so that a regression fails this test instead of killing the test run."""
    script = (
        "import numpy as np\n"
        "from dailypapers.search import vectors\n"
        "m = np.eye(4, 384, dtype=np.float32)\n"
        f"vectors.write({str(tmp_path)!r}, [1, 2, 3, 4], m, hnsw=True)\n"
        f"index = vectors.VectorIndex.open({str(tmp_path)!r})\n"
        "import onnxruntime\n"
        "print(index.search(m[2], 1))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.returncode == 0, result.stderr[-500:]
    pk, similarity = eval(result.stdout)[0]  # noqa: S307 (our own output)
    assert pk == 3 and abs(similarity - 1.0) < 0.01  # a cosine, also on i8 storage
