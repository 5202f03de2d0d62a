"""Retrieval quality, torch (reference) vs ONNX int8, with qa's evaluation protocol (``qa.evaluation``):
SciFact test nDCG@10 and MultiHop-RAG Hits@10, for the default hybrid retrieval and for dense alone
(where a change of embedder shows undiluted).

Evaluation indexes are cached under ~/.cache/qa/eval (one per embedder fingerprint), so only the first run
embeds the corpora.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common import MULTIHOP, RESULTS, SCIFACT, load_avg, machine, timed, write_result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="scifact,multihop")
    ap.add_argument("--multihop-limit", type=int, help="only the first N MultiHop-RAG queries")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    from qa.embed.torch import SentenceTransformerEmbedder
    from qa.embed.onnx import OnnxEmbedder
    from qa_tools.evaluation import eval_beir, eval_multihop
    from qa.search.fusion import RetrievalConfig

    start = load_avg()
    embedders = {"torch": SentenceTransformerEmbedder(), "onnx-int8": OnnxEmbedder()}
    out: dict = {}
    for dataset in args.datasets.split(","):
        out[dataset] = {}
        default = RetrievalConfig()
        for fusion, config in ((f"{default.fusion} (default)", default), ("dense", RetrievalConfig(fusion="dense"))):
            row = {}
            for name, emb in embedders.items():
                with timed() as t:
                    if dataset == "scifact":
                        r = eval_beir(SCIFACT, embedder=emb, retrieval=config)
                    else:
                        r = eval_multihop(MULTIHOP, embedder=emb, retrieval=config, limit=args.multihop_limit)
                row[name] = {"metrics": r.metrics, "queries": r.queries, "seconds": t.wall}
                print(f"quality {dataset} {fusion} {name}: {r.metrics}", flush=True)
            main_metric = "ndcg@10" if dataset == "scifact" else "hits@10"
            row["delta"] = {m: row["onnx-int8"]["metrics"][m] - row["torch"]["metrics"][m] for m in row["torch"]["metrics"]}
            row["main_metric"] = main_metric
            out[dataset][fusion] = row
    write_result("quality", {"machine": machine(), "load_avg_start": start, "datasets": out}, args.results)


if __name__ == "__main__":
    main()
