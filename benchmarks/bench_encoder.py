"""Encoder alone: torch (sentence-transformers, the reference) vs ONNX int8, on the same passages.

Batches are interleaved (torch batch i, onnx batch i, torch batch i+1, ...) so that a change of machine
load hits both sides alike. Reports passages/s (wall and CPU), the speed-up, the cosine of each int8
vector to its fp32 torch vector, and single-query encode latency. Then an onnxruntime profile of the int8
graph on the same batches: the share of the encoder's time per operator (where the time goes).

``--feeding`` measures instead how the int8 encoder is fed (issue 13), the way it was (``old``: onnxruntime's
memory pattern on, batches in plan order, a document's sentences counted in one tokenizer call) against the
way it is (``new``: no memory pattern, the batch needing the most memory first, counting 1,024 sentences at
a time), on a large plain-text file made of SciFact abstracts:
- the peak resident memory that indexing the file adds to a fresh process (``qa.build_index``, the model
  loaded and warmed up before; old and new alternate, ``--repeats`` processes each), ``cold`` (the first
  index of the process: it also imports bm25s/scipy/faiss and loads the counting tokenizer) and ``warm``
  (after indexing one sentence first, as in the running app, which indexed its documents at start);
- encoder throughput, old and new in one process on the same passages, alternating block by block;
- that the vectors are the same (largest absolute difference between old and new).
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
from common import (
    RESULTS,
    WORK,
    load_avg,
    machine,
    percentiles,
    rss_mb,
    scifact_documents,
    timed,
    word_pieces,
    write_result,
)


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


# ------------------------------------------------------------------------------------------- feeding (issue 13)


def embedder(feeding: str):
    """The int8 embedder fed the ``old`` way (memory pattern, plan order, unsliced counting) or the ``new`` one."""
    from qa.embed import base as embed_base
    from qa.embed.onnx import OnnxEmbedder

    if feeding == "new":
        return OnnxEmbedder()

    class OldFeeding(OnnxEmbedder):
        mem_pattern = True
        largest_first = False

    embed_base.COUNT_SLICE = 1 << 30  # process-wide: only the child processes and the throughput stage use it
    return OldFeeding()


def large_text(kib: int) -> Path:
    """A plain-text file of about ``kib`` KiB: SciFact abstracts as paragraphs (real prose, no repeats)."""
    path = WORK / f"large-{kib}k.txt"
    if not path.exists():
        parts, size = [], 0
        for doc in scifact_documents():
            if doc.text.strip():
                parts.append(doc.text.strip())
                size += len(doc.text) + 2
            if size >= kib * 1024:
                break
        WORK.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(parts), encoding="utf-8")
    return path


def index_in_this_process(feeding: str, text: Path, warm: bool) -> dict:
    """Child process: load and warm the model (``warm``: and index one sentence), then index ``text``; what
    that added to the resident memory."""
    import qa
    from qa.ingest.loaders import load_file

    emb = embedder(feeding).prepare()
    emb.encode_queries(["warm up"])
    doc = load_file(text)
    folder = WORK / f"feeding-{feeding}"
    shutil.rmtree(folder, ignore_errors=True)
    if warm:
        qa.build_index([qa.Document("one", "One", "The lighthouse was painted red in 1911.")], folder, embedder=emb)
        shutil.rmtree(folder)
    before = rss_mb()["VmRSS"]
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS, so the peak below is the indexing's own
    with timed() as t:
        idx = qa.build_index([doc], folder, embedder=emb)
    after = rss_mb()
    shutil.rmtree(folder, ignore_errors=True)
    return {"feeding": feeding, "pipeline": "warm" if warm else "cold", "peak_added_mib": after["VmHWM"] - before, "after_added_mib": after["VmRSS"] - before,
            "resting_mib": before, "wall_s": t.wall, "cpu_s": t.cpu, "passages": len(idx.snapshot.passages),
            "chars": len(doc.text)}


def feeding_passages(text: Path, n: int) -> list[str]:
    """The first ``n`` passages qa embeds for ``text`` (as ``passages`` does for SciFact)."""
    from qa.embed.onnx import OnnxEmbedder
    from qa.ingest.assemble import chunk_document, embed_text
    from qa.ingest.chunking import ChunkingConfig
    from qa.ingest.loaders import load_file

    doc, chunking = load_file(text), ChunkingConfig()
    return [embed_text(doc, s, e, chunking) for s, e, _ in chunk_document(doc, OnnxEmbedder(), chunking)][:n]


def throughput(texts: list[str], block: int) -> dict:
    """Old and new feeding in one process on the same passages, alternating block by block (who goes first
    alternates too), so machine load hits both alike; vectors compared."""
    sides = {"old": embedder("old").prepare(), "new": embedder("new").prepare()}
    for emb in sides.values():
        emb.encode_documents(texts[:8])  # warm up
    vecs = {k: np.zeros((len(texts), 384), np.float32) for k in sides}
    wall, cpu = dict.fromkeys(sides, 0.0), dict.fromkeys(sides, 0.0)
    for i, start in enumerate(range(0, len(texts), block)):
        for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
            with timed() as t:
                vecs[name][start : start + block] = sides[name].encode_documents(texts[start : start + block])
            wall[name] += t.wall
            cpu[name] += t.cpu
    n = len(texts)
    return {"passages": n, "word_pieces": word_pieces(texts), "block": block,
            **{k: {"wall_s": wall[k], "cpu_s": cpu[k], "passages_per_s": n / wall[k]} for k in sides},
            "speed_new_over_old_wall": wall["old"] / wall["new"], "speed_new_over_old_cpu": cpu["old"] / cpu["new"],
            "max_abs_diff": float(np.abs(vecs["old"] - vecs["new"]).max())}


def feeding_main(args: argparse.Namespace) -> None:
    text = large_text(args.text_kib)
    if args.child:
        print(json.dumps(index_in_this_process(args.child, text, args.warm)))
        return
    start_load = load_avg()
    runs: list[dict] = []
    for i in range(args.repeats):
        for warm in (False, True):
            for feeding in ("old", "new") if i % 2 == 0 else ("new", "old"):
                out = subprocess.run([sys.executable, __file__, "--feeding", "--child", feeding, "--text-kib",
                                      str(args.text_kib), *(["--warm"] if warm else [])],
                                     capture_output=True, text=True, check=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                r = runs[-1]
                print(f"{feeding} {r['pipeline']}: +{r['peak_added_mib']:.0f} MiB peak, {r['wall_s']:.1f} s")
    speed = throughput(feeding_passages(text, args.n), args.block)

    def worst(feeding: str, pipeline: str) -> float:
        return max(r["peak_added_mib"] for r in runs if r["feeding"] == feeding and r["pipeline"] == pipeline)

    peaks = {p: {f: worst(f, p) for f in ("old", "new")} for p in ("cold", "warm")}
    result = {"machine": machine(), "load_avg_start": start_load, "text_kib": args.text_kib, "runs": runs,
              "peak_added_mib": peaks, "throughput": speed}
    write_result("encoder-feeding", result, args.results)
    print(f"feeding: indexing {text.name} adds at most +{peaks['cold']['old']:.0f} / +{peaks['warm']['old']:.0f} MiB "
          f"(old, cold / warm) vs +{peaks['cold']['new']:.0f} / +{peaks['warm']['new']:.0f} MiB (new); throughput "
          f"new/old {speed['speed_new_over_old_wall']:.3f}x wall, {speed['speed_new_over_old_cpu']:.3f}x CPU; "
          f"vectors differ by at most {speed['max_abs_diff']:g}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1024, help="passages")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--feeding", action="store_true", help="old vs new feeding of the int8 encoder (issue 13)")
    ap.add_argument("--text-kib", type=int, default=1000, help="--feeding: size of the plain-text file indexed")
    ap.add_argument("--repeats", type=int, default=2, help="--feeding: fresh processes per feeding")
    ap.add_argument("--block", type=int, default=64, help="--feeding: passages per alternation of the throughput test")
    ap.add_argument("--child", choices=("old", "new"), help=argparse.SUPPRESS)
    ap.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.feeding:
        feeding_main(args)
        return

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
