import json

import numpy as np

from dailypapers.search import embedder, onnx_export


def test_the_onnx_export_agrees_with_torch_and_serves_queries(minilm, index_dir):
    assert embedder.query_encoder() is embedder.torch_query  # nothing exported yet
    cosine = onnx_export.ensure()
    assert cosine >= onnx_export.MIN_COSINE["fp32"]
    assert json.loads((onnx_export.directory() / "verified-fp32.json").read_text())["min_cosine"] == cosine
    embedder.reset()
    encoder = embedder.query_encoder()
    assert isinstance(encoder, onnx_export.OnnxEncoder)
    text = "robots that grasp unfamiliar household objects"
    assert float(np.dot(embedder.embed_query(text), embedder.torch_query(text))) > 0.9999
    assert onnx_export.ensure() == cosine  # once: a second call only reads the marker


def test_an_export_is_used_only_for_the_setting_it_was_verified_for(index_dir, settings):
    directory = onnx_export.directory()
    directory.mkdir(parents=True)
    marker = directory / "verified-fp32.json"
    marker.write_text(json.dumps({"min_cosine": 0.5, "model": onnx_export._runtime_key()}))
    assert onnx_export.load_verified() is None  # verified too loosely
    marker.write_text(json.dumps({"min_cosine": 1.0, "model": "another/128/fp32"}))
    assert onnx_export.load_verified() is None  # made for another input length
    marker.write_text("{not json")
    assert onnx_export.load_verified() is None


def test_onnxruntime_and_usearch_live_in_one_process(tmp_path):
    """Imported after usearch, onnxruntime crashes the process: the search package orders them. A
    child process, so that a regression fails this test instead of killing the test run."""
    import subprocess
    import sys

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
