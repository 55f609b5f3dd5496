"""Document embedding throughput: the site's default path beside its ceiling and plain torch.

Three loops over the same texts (the first N Hugging Face papers, title + abstract, 128 tokens), in
one run, in alternating rounds so a noisy machine hits them alike (the median round counts):
  default   what ``embed`` and the worker run: ``embedder.encode_documents`` at the precision chosen
            for this CPU, with the default threads (tokenizing, sorting, padding, normalizing)
  ceiling   a bare ONNX Runtime loop over the same graph, precision and threads: pre-tokenized,
            pre-padded batches, nothing but ``session.run``
  torch     sentence-transformers on torch fp32 (test extra), all cores, batch 32
It prints docs/s for each, default ÷ ceiling, default ÷ torch, and the demo's full embedding time
(9,877 papers) at the default rate. Run it under scripts/with-cpu to measure a smaller CPU.

    python bench/embed.py [--texts 512] [--rounds 3]
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DAILYPAPERS_SHARED") or REPO.parent / "shared")
DEMO_PAPERS = 9877

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def texts(count):
    from dailypapers.search import embedder

    with gzip.open(SHARED / "data" / "hf-daily-papers.jsonl.gz", "rt") as fh:
        papers = [json.loads(line) for _, line in zip(range(count), fh, strict=False)]
    return [embedder.document_text(p["title"], p["abstract"]) for p in papers]


def default_loop(corpus):
    from dailypapers.search import embedder

    return lambda: embedder.encode_documents(corpus)


def ceiling_loop(corpus, precision, threads):
    """Batches made once, in the order and shapes the default path makes them; only ``run`` is timed."""
    import numpy as np

    from dailypapers.search import embedder, minilm

    encoder = minilm.Encoder(minilm.path(precision), threads, embedder.doc_max_tokens())
    encodings = encoder.tokenizer.encode_batch(corpus)
    order = np.argsort([len(e.ids) for e in encodings], kind="stable")
    feeds = []
    for start in range(0, len(order), embedder.INFERENCE_BATCH):
        chosen = [encodings[i] for i in order[start : start + embedder.INFERENCE_BATCH]]
        width = max(len(e.ids) for e in chosen)
        ids, mask = np.zeros((len(chosen), width), np.int64), np.zeros((len(chosen), width), np.int64)
        for row, e in enumerate(chosen):
            ids[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, e.attention_mask
        feeds.append({"input_ids": ids, "attention_mask": mask})
    return lambda: [encoder.session.run(None, feed) for feed in feeds]


def torch_loop(corpus):
    try:
        os.environ["HF_HUB_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("torch: not installed (pip install -e '.[test]'): its loop is left out", file=sys.stderr)
        return None
    from dailypapers.search import embedder, minilm

    model = SentenceTransformer(str(minilm.weights_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = embedder.doc_max_tokens()

    def run():
        with torch.inference_mode():
            model.encode(corpus, batch_size=embedder.INFERENCE_BATCH, show_progress_bar=False)

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from dailypapers.search import cpu, embedder, setup

    setup.prepare_search()
    found, choice = embedder.this_cpu(), embedder.choice()
    threads = settings.SEARCH_EMBED_THREADS or cpu.cores()
    corpus = texts(args.texts)
    print(f"cpu: {found.model} ({found.level}; {' '.join(found.shown_flags())}), {cpu.cores()} cores")
    print(f"default: onnx {choice.precision} ({choice.reason}), {threads} threads; {len(corpus)} texts, "
          f"{embedder.doc_max_tokens()} tokens")
    loops = {"default": default_loop(corpus), "ceiling": ceiling_loop(corpus, choice.precision, threads)}
    if (torch_run := torch_loop(corpus)) is not None:
        loops["torch fp32"] = torch_run
    for run in loops.values():  # warm: first runs allocate
        run()
    rates = {name: [] for name in loops}
    for _ in range(args.rounds):
        for name, run in loops.items():
            started = time.perf_counter()
            run()
            rates[name].append(len(corpus) / (time.perf_counter() - started))
    median = {name: statistics.median(values) for name, values in rates.items()}
    for name, rate in median.items():
        spread = ", ".join(f"{r:.1f}" for r in rates[name])
        print(f"{name:>10}: {rate:7.1f} docs/s   (rounds: {spread})")
    print(f"default / ceiling: {median['default'] / median['ceiling']:.0%}")
    if "torch fp32" in median:
        print(f"default / torch fp32: {median['default'] / median['torch fp32']:.2f}x")
    print(f"demo ({DEMO_PAPERS:,} papers) at the default rate: {DEMO_PAPERS / median['default'] / 60:.1f} min")


if __name__ == "__main__":
    main()
