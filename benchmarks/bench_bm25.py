"""BM25 (``qa.sparse``, bm25s sparse matrices) at growing sizes: build time, peak memory of the build, bytes
on disk / in memory per passage, query latency (score every passage + top 100).

Passages are real (SciFact abstracts cut by qa's chunker); beyond the corpus size they are resampled with
their words shuffled (same vocabulary and length distribution, not the same texts). Each size runs in a
fresh subprocess so its peak RSS is its own. The baseline, in the same run at every size: bm25s's own
``BM25.index`` over the token lists (what qa used before its streaming build); the two give the same scores.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import RESULTS, WORK, load_avg, machine, peak_rss_mb, percentiles, queries, rss_mb, timed, write_result


def passages(n: int) -> list[str]:
    from common import scifact_documents

    docs = scifact_documents()
    base = [f"{d.title}\n{d.text}" for d in docs]
    if n <= len(base):
        return base[:n]
    rng = np.random.default_rng(0)
    out = list(base)
    while len(out) < n:
        words = base[int(rng.integers(len(base)))].split()
        rng.shuffle(words)
        out.append(" ".join(words))
    return out


def reference_build(texts: list[str]):
    """bm25s's own build: every passage's tokens as a list of strings, then ``BM25.index``."""
    import bm25s

    from qa.store.bm25 import BM25Index
    from qa.text.tokens import tokenize

    model = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    model.index([tokenize(t) or [""] for t in texts], show_progress=False)
    return BM25Index(model, len(texts))


def one(n: int, engine: str) -> dict:
    from qa.store.bm25 import BM25Index
    from qa.text.tokens import stemmer, stopwords

    stemmer(), stopwords()
    import bm25s  # noqa: F401 - imports are a fixed cost, not the build's
    import scipy.sparse  # noqa: F401

    texts = passages(n)
    before = rss_mb()["VmRSS"]
    with timed() as t:
        index = BM25Index.build(texts) if engine == "qa" else reference_build(texts)
    peak = peak_rss_mb()
    del texts
    folder = WORK / f"bm25-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    index.save(folder)
    disk = sum(f.stat().st_size for f in folder.iterdir())
    lat = []
    for q in queries("scifact", 100):
        t0 = time.perf_counter()
        s = index.scores(q)
        np.argpartition(-s, 100)[:100]
        lat.append((time.perf_counter() - t0) * 1000)
    shutil.rmtree(folder, ignore_errors=True)
    return {"n": n, "engine": engine, "build_s": t.wall, "build_cpu_s": t.cpu, "rss_before_build_mb": before, "peak_rss_mb": peak,
            "build_peak_extra_mb": peak - before, "disk_bytes": disk, "disk_bytes_per_passage": disk / n,
            "build_peak_bytes_per_passage": (peak - before) * 2**20 / n, "query_ms": percentiles(lat)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5000,50000,200000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="qa", help=argparse.SUPPRESS)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.engine)))
        return
    start = load_avg()
    rows = []
    for n, engine in [(int(s), e) for s in args.sizes.split(",") for e in ("qa", "bm25s")]:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--engine", engine], capture_output=True,
                              text=True, check=True)
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"bm25 {engine} n={n}: build {r['build_s']:.1f}s, +{r['build_peak_extra_mb']:.0f} MiB peak "
              f"({r['build_peak_bytes_per_passage']:.0f} B/passage), {r['disk_bytes_per_passage']:.0f} B/passage on disk, "
              f"query p50 {r['query_ms']['p50']:.1f} ms", flush=True)
    write_result("bm25", {"machine": machine(), "load_avg_start": start, "sizes": rows}, args.results)


if __name__ == "__main__":
    main()
