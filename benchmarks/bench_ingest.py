"""Ingest throughput of one system on one corpus, in a process of its own (so peak RSS is its own).

Systems:
- ``qa``: ``qa.build_index`` with the default embedder (ONNX int8), from Document objects to a finished
  index folder on disk (chunking, dedup, embedding, FAISS, BM25, manifest, fsync).
- ``qa-torch``: the same with the torch embedder (to separate the encoder from the rest of the pipeline).
- ``plain``: sentence-transformers ``encode`` (default batch 32, normalised) + ``faiss.IndexFlatIP``.
- ``txtai``: ``txtai.Embeddings`` on the same bundled model (its defaults: transformers + mean pooling,
  faiss backend), ``content=False``.

Model loading is outside the timed part for every system (it is reported separately); reading the
corpus file is inside. The qa run also profiles where its time goes (encoder, chunking, BM25, FAISS, write).
"""
from __future__ import annotations

import argparse
import shutil
import threading
import time
from pathlib import Path

import numpy as np
from common import (
    RESULTS,
    WORK,
    documents,
    load_avg,
    machine,
    peak_rss_mb,
    plain_passages,
    timed,
    word_pieces,
    write_result,
)


class Profile:
    """Seconds spent in some functions, per name, wherever (whichever thread) they run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.lock = threading.Lock()

    def wrap(self, owner, attr: str, name: str) -> None:
        fn = getattr(owner, attr)
        prof = self

        def timed_fn(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                with prof.lock:
                    prof.seconds[name] = prof.seconds.get(name, 0.0) + time.perf_counter() - t0

        setattr(owner, attr, timed_fn)


def run_qa(corpus: str, limit: int | None, torch: bool) -> dict:
    import qa
    from qa.ingest import assemble as qa_assemble
    from qa.ingest import update as qa_update
    from qa.embed.torch import SentenceTransformerEmbedder
    from qa.embed.onnx import OnnxEmbedder

    with timed() as load:
        emb = SentenceTransformerEmbedder() if torch else OnnxEmbedder().prepare()
        emb.encode_queries(["warm up"])
    folder = WORK / f"{'qa-torch' if torch else 'qa'}-{corpus}"
    shutil.rmtree(folder, ignore_errors=True)
    prof = Profile()
    prof.wrap(emb, "encode_documents", "encoder (main thread busy)")
    prof.wrap(qa_assemble, "chunk_document", "chunking (worker)")
    prof.wrap(qa_assemble.BM25Index, "build", "BM25 build (worker)")
    prof.wrap(qa_assemble.DenseIndex, "build", "FAISS build")
    prof.wrap(qa_update, "write_snapshot", "write + fsync + sha256")
    rss0 = peak_rss_mb()
    with timed() as t:
        docs = documents(corpus, limit)
        idx = qa.build_index(docs, folder, embedder=emb)
    rep = idx.last_report
    texts = [qa_assemble.embed_text(idx.snapshot.documents[d].document, int(s), int(e), idx.chunking)
             for d, s, e in zip(idx.snapshot.passages.doc_ids, idx.snapshot.passages.starts, idx.snapshot.passages.ends)]
    return {"wall_s": t.wall, "cpu_s": t.cpu, "docs": len(docs), "passages": len(idx), "embedded": rep.embedded,
            "word_pieces": word_pieces(texts), "model_load_s": load.wall, "peak_rss_mb": peak_rss_mb(),
            "peak_rss_before_ingest_mb": rss0, "profile_s": prof.seconds, "index_dir": str(folder),
            "embedder": emb.fingerprint, "dense_kind": idx.manifest["dense"]["kind"],
            "index_bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())}


def run_plain(corpus: str, limit: int | None) -> dict:
    import faiss
    from sentence_transformers import SentenceTransformer

    from qa.embed.base import bundled_model_dir

    with timed() as load:
        model = SentenceTransformer(str(bundled_model_dir()), device="cpu", local_files_only=True)
        model.encode(["warm up"])
    rss0 = peak_rss_mb()
    with timed() as t:
        docs = documents(corpus, limit)
        texts = plain_passages(corpus, docs)
        vecs = model.encode(texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        index = faiss.IndexFlatIP(vecs.shape[1])
        index.add(np.ascontiguousarray(vecs, dtype=np.float32))
    return {"wall_s": t.wall, "cpu_s": t.cpu, "docs": len(docs), "passages": len(texts), "embedded": len(texts),
            "word_pieces": word_pieces(texts), "model_load_s": load.wall, "peak_rss_mb": peak_rss_mb(),
            "peak_rss_before_ingest_mb": rss0}


def run_txtai(corpus: str, limit: int | None) -> dict:
    from txtai import Embeddings

    from qa.embed.base import bundled_model_dir

    with timed() as load:
        emb = Embeddings(path=str(bundled_model_dir()), content=False)
        emb.transform("warm up")
    rss0 = peak_rss_mb()
    with timed() as t:
        docs = documents(corpus, limit)
        texts = plain_passages(corpus, docs)
        emb.index((i, text, None) for i, text in enumerate(texts))
    return {"wall_s": t.wall, "cpu_s": t.cpu, "docs": len(docs), "passages": len(texts), "embedded": len(texts),
            "word_pieces": word_pieces(texts), "model_load_s": load.wall, "peak_rss_mb": peak_rss_mb(),
            "peak_rss_before_ingest_mb": rss0, "txtai_config": {k: str(v) for k, v in emb.config.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", choices=["qa", "qa-torch", "plain", "txtai"], required=True)
    ap.add_argument("--corpus", choices=["scifact", "multihop"], required=True)
    ap.add_argument("--limit", type=int, help="only the first N documents")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    start = load_avg()
    if args.system in ("qa", "qa-torch"):
        r = run_qa(args.corpus, args.limit, torch=args.system == "qa-torch")
    elif args.system == "plain":
        r = run_plain(args.corpus, args.limit)
    else:
        r = run_txtai(args.corpus, args.limit)
    r.update(system=args.system, corpus=args.corpus, limit=args.limit, load_avg_start=start, machine=machine(),
             docs_per_s=r["docs"] / r["wall_s"], passages_per_s=r["passages"] / r["wall_s"],
             docs_per_cpu_s=r["docs"] / r["cpu_s"])
    write_result(f"ingest-{args.corpus}-{args.system}", r, args.results)
    print(f"ingest {args.corpus} {args.system}: {r['docs_per_s']:.1f} docs/s, {r['passages_per_s']:.1f} passages/s "
          f"({r['wall_s']:.1f}s wall, {r['cpu_s']:.1f}s CPU), peak RSS {r['peak_rss_mb']:.0f} MiB")


if __name__ == "__main__":
    main()
