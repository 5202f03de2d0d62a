"""MultiHop-RAG quality, torch vs ONNX int8, on a sub-corpus (when the full evaluation indexes cannot be built
in time): the articles that hold the evidence of the first queries, plus distractor articles; Hits@10 by the
paper's rule (a gold fact, whitespace removed, inside a retrieved chunk), same retrieval as ``qa.evaluation``."""
from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import numpy as np
from common import MULTIHOP, RESULTS, WORK, load_avg, machine, write_result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=40, help="evidence articles")
    ap.add_argument("--distractors", type=int, default=20)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    from qa.embed.torch import SentenceTransformerEmbedder
    from qa.embed.onnx import OnnxEmbedder
    from qa_tools.evaluation import load_multihop, rankings, squash, mrr_at_k
    from qa.index import build_index
    from qa.search.fusion import RetrievalConfig

    docs, queries = load_multihop(MULTIHOP)
    by_url = {d.id: d for d in docs}
    chosen: set[str] = set()
    picked = []
    for q in queries:
        if q["question_type"] == "null_query":
            continue
        urls = {e["url"] for e in q["evidence_list"]}
        if not urls <= by_url.keys():
            continue
        if len(chosen | urls) > args.articles:
            continue
        chosen |= urls
        picked.append(q)
    rest = [d.id for d in docs if d.id not in chosen]
    random.Random(0).shuffle(rest)
    corpus = [by_url[u] for u in sorted(chosen)] + [by_url[u] for u in rest[: args.distractors]]
    out = {}
    for name, emb in (("torch", SentenceTransformerEmbedder()), ("onnx-int8", OnnxEmbedder())):
        folder = WORK / f"mh-subset-{name}"
        shutil.rmtree(folder, ignore_errors=True)
        index = build_index(corpus, folder, embedder=emb, chunk_size=256, chunk_overlap=0, embed_title=True)
        for config in (RetrievalConfig(), RetrievalConfig(fusion="dense")):
            h4, h10, mrr = [], [], []
            for q, rows in zip(picked, rankings(index, [q["query"] for q in picked], config.depth, config, False)):
                facts = [squash(e["fact"]) for e in q["evidence_list"]]
                hits = [any(f in squash(index.snapshot.passage_text(r)) for f in facts) for r in rows[:10]]
                h4.append(any(hits[:4]))
                h10.append(any(hits[:10]))
                mrr.append(mrr_at_k(hits))
            key = f"{config.fusion}{' (default)' if config == RetrievalConfig() else ''}"
            out.setdefault(key, {})[name] = {"hits@4": float(np.mean(h4)), "hits@10": float(np.mean(h10)),
                                             "mrr@10": float(np.mean(mrr))}
            print(f"multihop subset {key} {name}: {out[key][name]}", flush=True)
        passages = len(index)
    for key, row in out.items():
        row["delta"] = {m: row["onnx-int8"][m] - row["torch"][m] for m in row["torch"]}
    write_result("quality-multihop-subset", {"machine": machine(), "load_avg_start": load_avg(), "queries": len(picked),
                                             "articles": len(corpus), "passages": passages, "results": out}, args.results)


if __name__ == "__main__":
    main()
