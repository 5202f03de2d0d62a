"""Choose the fusion settings on tuning data only: SciFact *train* qrels and a SQuAD question sample.

Each retriever ranks every query once (depth 100); every fusion setting is then scored offline, so the
grid costs nothing but arithmetic. Usage: python scripts/tune_retrieval.py [--squad 2000]
Prints a table per dataset; the defaults in qa/retrieval.py were chosen from it (see README).
"""
from __future__ import annotations

import argparse
import logging
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_tools import evaluation as ev  # noqa: E402
from qa.embed.registry import default_embedder  # noqa: E402
from qa.index import ChunkingConfig  # noqa: E402
from qa.search.fusion import RetrievalConfig, Scored
from qa.search.retrieval import collapse, rank  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
GRID = [("dense", {}), ("sparse", {})] + [
    ("rrf", {"rrf_k": k, "dense_weight": w}) for k in (10, 30, 60, 100) for w in (0.3, 0.4, 0.5, 0.6, 0.7)
] + [("convex", {"dense_weight": w}) for w in (0.3, 0.4, 0.5, 0.6, 0.7)]


def fuse(dense: list[tuple[int, float]], sparse: list[tuple[int, float]], fusion: str, rrf_k: int = 60,
         dense_weight: float = 0.5) -> list[int]:
    scores: dict[int, float] = {}
    if fusion == "dense":
        return [r for r, _ in dense]
    if fusion == "sparse":
        return [r for r, _ in sparse]
    for w, ranking in ((dense_weight, dense), (1 - dense_weight, sparse)):
        if fusion == "rrf":
            for i, (r, _) in enumerate(ranking):
                scores[r] = scores.get(r, 0.0) + w / (rrf_k + i + 1)
        elif ranking:
            vals = np.array([s for _, s in ranking])
            lo, hi = vals.min(), vals.max()
            for r, s in ranking:
                scores[r] = scores.get(r, 0.0) + w * ((s - lo) / (hi - lo) if hi > lo else 1.0)
    return sorted(scores, key=lambda r: (-scores[r], r))


def per_retriever(index, questions: list[str]) -> list[tuple[list, list]]:
    snap = index.snapshot
    qv = index.embedder.encode_queries(questions)
    out = []
    for q, v in zip(questions, qv):
        d = rank(snap, index.embedder, q, 100, RetrievalConfig(fusion="dense"), query_vector=v)
        s = rank(snap, index.embedder, q, 100, RetrievalConfig(fusion="sparse"), query_vector=v)
        out.append(([(x.row, x.dense) for x in d], [(x.row, x.sparse) for x in s]))
    return out


def doc_ranking(index, rows: list[int]) -> list[str]:
    snap = index.snapshot
    kept = collapse(snap, [Scored(r, 0.0, None, None) for r in rows], 100)
    seen: list[str] = []
    for s in kept:
        d = snap.passages.doc_ids[s.row]
        if d not in seen:
            seen.append(d)
    return seen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", type=int, default=2000, help="SQuAD questions sampled for tuning")
    ap.add_argument("--chunk-size", type=int, default=256)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    emb = default_embedder()

    docs, queries, qrels = ev.load_beir(DATA / "beir-scifact", "train")
    index = ev.index_for("beir-scifact", docs, None, emb, ChunkingConfig(max_tokens=args.chunk_size), progress=True)
    ids = list(queries)
    runs = per_retriever(index, [queries[q] for q in ids])
    print(f"SciFact train ({len(ids)} queries), chunk {args.chunk_size}: nDCG@10")
    for fusion, kw in GRID:
        nd = [ev.ndcg_at_k(doc_ranking(index, fuse(d, s, fusion, **kw)), qrels[q]) for q, (d, s) in zip(ids, runs)]
        print(f"  {fusion:7s} {str(kw):40s} {np.mean(nd):.4f}")

    sdocs, questions = ev.load_squad(DATA / "squad-v1.1" / "dev-v1.1.json")
    questions = random.Random(0).sample(questions, min(args.squad, len(questions)))
    index = ev.index_for("squad-v1.1", sdocs, None, emb, ChunkingConfig(), progress=True)
    runs = per_retriever(index, [q["question"] for q in questions])
    print(f"SQuAD dev sample ({len(questions)} questions), chunk 200: recall@1 / MRR@10 of the gold paragraph")
    for fusion, kw in GRID:
        r1, mrr = [], []
        for q, (d, s) in zip(questions, runs):
            hits = [x == q["doc_id"] for x in doc_ranking(index, fuse(d, s, fusion, **kw))]
            r1.append(any(hits[:1]))
            mrr.append(ev.mrr_at_k(hits))
        print(f"  {fusion:7s} {str(kw):40s} {np.mean(r1):.4f} {np.mean(mrr):.4f}")


if __name__ == "__main__":
    main()
