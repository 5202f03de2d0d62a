"""Encoder alone: torch (sentence-transformers, the reference) vs ONNX int8, on the same passages.

Batches are interleaved (torch batch i, onnx batch i, torch batch i+1, ...) so that a change of machine
load hits both sides alike. Reports passages/s (wall and CPU), the speed-up, the cosine of each int8
vector to its fp32 torch vector, and single-query encode latency. Then an onnxruntime profile of the int8
graph on the same batches: the share of the encoder's time per operator (where the time goes).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import RESULTS, load_avg, machine, percentiles, scifact_documents, timed, word_pieces, write_result


def passages(n: int) -> list[str]:
    """qa's own passages of the first SciFact abstracts (title + passage text, as qa embeds them)."""
    from qa.embed.onnx import OnnxEmbedder
    from qa.ingest.assemble import chunk_document, embed_text
    from qa.ingest.chunking import ChunkingConfig

    emb, chunking = OnnxEmbedder(), ChunkingConfig()
    out: list[str] = []
    for doc in scifact_documents(n):
        out.extend(embed_text(doc, s, e, chunking) for s, e, _ in chunk_document(doc, emb, chunking))
        if len(out) >= n:
            break
    return out[:n]


def op_profile(emb, texts: list[str]) -> dict[str, float]:
    """Share of onnxruntime kernel time per operator type, over the ``texts`` in length-sorted batches of 32."""
    import collections
    import json
    import tempfile

    import onnxruntime as ort

    from qa.embed.onnx import export_model

    so = ort.SessionOptions()
    so.intra_op_num_threads = emb.threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.enable_profiling = True
    so.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    sess = ort.InferenceSession(str(export_model()), so, providers=["CPUExecutionProvider"])
    tok = emb._tokenizer()
    for i in range(0, len(texts), 32):
        ids = [e.ids for e in tok.encode_batch(sorted(texts, key=len)[i : i + 32])]
        width = max(map(len, ids))
        x = np.array([r + [0] * (width - len(r)) for r in ids], np.int64)
        sess.run(None, {"input_ids": x, "attention_mask": (x > 0).astype(np.int64), "token_type_ids": np.zeros_like(x)})
    events = json.loads(Path(sess.end_profiling()).read_text())
    per_op: collections.Counter[str] = collections.Counter()
    for ev in events:
        if ev.get("cat") == "Node" and ev["name"].endswith("_kernel_time"):
            per_op[ev["args"]["op_name"]] += ev["dur"]
    total = sum(per_op.values()) or 1
    return {op: us / total for op, us in per_op.most_common()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1024, help="passages")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()

    from qa.embed.torch import SentenceTransformerEmbedder
    from qa.embed.onnx import OnnxEmbedder

    texts = passages(args.n)
    with timed() as t_onnx_load:
        onnx_e = OnnxEmbedder().prepare()
    with timed() as t_torch_load:
        torch_e = SentenceTransformerEmbedder()
        torch_e.encode_queries(["warm up"])
    onnx_e.encode_queries(["warm up"])

    order = np.argsort([-len(t) for t in texts], kind="stable")
    batches = [order[i : i + 32] for i in range(0, len(texts), 32)]
    vecs = {"torch": np.zeros((len(texts), 384), np.float32), "onnx": np.zeros((len(texts), 384), np.float32)}
    wall = {"torch": 0.0, "onnx": 0.0}
    cpu = {"torch": 0.0, "onnx": 0.0}
    for idx in batches:
        batch = [texts[j] for j in idx]
        for name, emb in (("torch", torch_e), ("onnx", onnx_e)):
            with timed() as t:
                vecs[name][idx] = emb._encode(batch)
            wall[name] += t.wall
            cpu[name] += t.cpu
    a = vecs["onnx"] / np.linalg.norm(vecs["onnx"], axis=1, keepdims=True)
    b = vecs["torch"] / np.linalg.norm(vecs["torch"], axis=1, keepdims=True)
    cos = (a * b).sum(axis=1)

    queries = [t[:120] for t in texts[:60]]
    lat: dict[str, list[float]] = {"torch": [], "onnx": []}
    for q in queries:
        for name, emb in (("torch", torch_e), ("onnx", onnx_e)):
            t0 = time.perf_counter()
            emb.encode_queries([q])
            lat[name].append((time.perf_counter() - t0) * 1000)

    n = len(texts)
    result = {
        "machine": machine(),
        "passages": n,
        "word_pieces": word_pieces(texts),
        "load_avg_start": load_avg(),
        "model_load_s": {"torch": t_torch_load.wall, "onnx": t_onnx_load.wall},
        "torch": {"wall_s": wall["torch"], "cpu_s": cpu["torch"], "passages_per_s": n / wall["torch"]},
        "onnx": {"wall_s": wall["onnx"], "cpu_s": cpu["onnx"], "passages_per_s": n / wall["onnx"]},
        "speedup_wall": wall["torch"] / wall["onnx"],
        "speedup_cpu": cpu["torch"] / cpu["onnx"],
        "cosine": {"min": float(cos.min()), "p1": float(np.percentile(cos, 1)), "mean": float(cos.mean()),
                   "share_ge_0.99": float((cos >= 0.99).mean())},
        "query_ms": {k: percentiles(v) for k, v in lat.items()},
        "threads": onnx_e.threads,
        "fingerprint": onnx_e.fingerprint,
        "onnx_op_share": op_profile(onnx_e, texts[:256]),
    }
    write_result("encoder", result, args.results)
    print(f"encoder: onnx int8 {result['speedup_wall']:.2f}x wall, {result['speedup_cpu']:.2f}x CPU vs torch; "
          f"cosine mean {cos.mean():.4f} min {cos.min():.4f}")


if __name__ == "__main__":
    main()
