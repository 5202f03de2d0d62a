"""The dense-index table: build time, recall@10 vs exact search, p50 latency and bytes per passage, for each
backend at 10k, 100k and 1M vectors.

Vectors: 1M real passages are not at hand, so the collection is synthetic but shaped like real text
embeddings: each vector interpolates two neighbouring real SciFact passage vectors (from the index
``bench_ingest.py`` built; random clustered vectors if it is missing) plus a little noise, renormalised.
Queries are the real SciFact test questions, encoded by qa's embedder. Exact top-10 comes from a flat
(brute-force) search over the same vectors, which is also the latency baseline.
"""
from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path

import numpy as np
from common import RESULTS, WORK, load_avg, machine, percentiles, queries, timed, write_result


def base_vectors() -> tuple[np.ndarray, str]:
    from qa.paths import cache_dir

    for folder in [WORK / "qa-scifact", *sorted((cache_dir() / "eval").glob("beir-scifact-*"))]:
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            v = np.load(folder / manifest["files"]["vectors"]["path"])
        except (OSError, KeyError, ValueError):
            continue
        if len(v) >= 4000:
            return np.ascontiguousarray(v, dtype=np.float32), f"real SciFact passage vectors ({len(v)}, {folder.name})"
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((200, 384)).astype(np.float32)
    v = centres[rng.integers(0, 200, 8000)] + 0.08 * rng.standard_normal((8000, 384)).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32), "random clustered vectors (no index found)"


def synthesize(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n unit vectors, each between a base vector and one of its 10 nearest base neighbours, plus noise."""
    rng = np.random.default_rng(seed)
    sims = base @ base.T
    np.fill_diagonal(sims, -1)
    neighbours = np.argpartition(-sims, 10, axis=1)[:, :10]
    del sims
    out = np.empty((n, base.shape[1]), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        i = rng.integers(0, len(base), m)
        j = neighbours[i, rng.integers(0, 10, m)]
        a = rng.uniform(0.0, 1.0, (m, 1)).astype(np.float32)
        x = a * base[i] + (1 - a) * base[j] + rng.normal(0, 0.02, (m, base.shape[1])).astype(np.float32)
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def exact_top10(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, ids = flat.search(q, 10)
    return ids


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / 10 for f, t in zip(found, truth)]))


def measure(backend, vectors: np.ndarray, q: np.ndarray, truth: np.ndarray, tmp: Path) -> dict:
    gc.collect()
    with timed() as t:
        index = backend.build(vectors)
    _, ids = index.search(q, 10)
    lat = []
    for row in q[:150]:  # one question at a time, as the app asks
        t0 = time.perf_counter()
        index.search(row[None, :], 10)
        lat.append((time.perf_counter() - t0) * 1000)
    # a document filter: 50 random rows (one long document's passages)
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), 50, replace=False))
    flat_lat = []
    for row in q[:50]:
        t0 = time.perf_counter()
        index.search(row[None, :], 10, rows)
        flat_lat.append((time.perf_counter() - t0) * 1000)
    path = tmp / f"{index.kind}.faiss"
    index.save(path)
    size = path.stat().st_size
    path.unlink()
    info = {"kind": index.kind, "build_s": t.wall, "build_cpu_s": t.cpu, "recall@10": recall(ids, truth),
            "ms": percentiles(lat), "filtered_ms": percentiles(flat_lat), "bytes": size,
            "bytes_per_passage": size / len(vectors)}
    if hasattr(index, "nprobe"):
        from faiss import extract_index_ivf

        ivf = extract_index_ivf(index._index)
        info["nprobe"], info["nlist"] = index.nprobe, int(ivf.nlist)
        sweep = []  # the recall/latency trade-off around the calibrated nprobe
        for nprobe in sorted({max(1, index.nprobe // 4), max(1, index.nprobe // 2), index.nprobe,
                              min(ivf.nlist, index.nprobe * 2), min(ivf.nlist, index.nprobe * 4)}):
            ivf.nprobe = nprobe
            _, ids_n = index.search(q, 10)
            t_n = []
            for row in q[:50]:
                t0 = time.perf_counter()
                index.search(row[None, :], 10)
                t_n.append((time.perf_counter() - t0) * 1000)
            sweep.append({"nprobe": nprobe, "recall@10": recall(ids_n, truth), "p50_ms": float(np.median(t_n))})
        ivf.nprobe = info["nprobe"]
        info["sweep"] = sweep
    del index
    gc.collect()
    return info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--hnsw-max", type=int, default=100_000, help="largest size HNSW is built for (slow to build)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--name", default="ann", help="result name (run_all merges every ann* result into one table)")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    import faiss

    from qa.store.ann import FlatIndex, HNSWIndex, IVFIndex, choose_kind
    from qa.embed.onnx import OnnxEmbedder

    start = load_avg()
    base, source = base_vectors()
    q = OnnxEmbedder().prepare().encode_queries(queries("scifact", args.queries))
    tmp = WORK / "ann"
    tmp.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        with timed() as t_gen:
            vectors = synthesize(base, n)
        truth = exact_top10(vectors, q)
        entry = {"n": n, "chosen": choose_kind(n), "generate_s": t_gen.wall, "backends": []}
        for backend in (FlatIndex, IVFIndex, HNSWIndex):
            if backend is HNSWIndex and n > args.hnsw_max:
                continue
            entry["backends"].append(measure(backend, vectors, q, truth, tmp))
            b = entry["backends"][-1]
            print(f"ann n={n} {b['kind']}: build {b['build_s']:.1f}s recall@10 {b['recall@10']:.3f} "
                  f"p50 {b['ms']['p50']:.2f} ms {b['bytes_per_passage']:.0f} B/passage", flush=True)
        rows.append(entry)
        del vectors, truth
        gc.collect()
    write_result(args.name, {"machine": machine(), "load_avg_start": start, "source": source, "queries": len(q),
                         "faiss_threads": faiss.omp_get_max_threads(), "sizes": rows}, args.results)


if __name__ == "__main__":
    main()
