"""Question latency on an index built by ``bench_ingest.py`` (warm: model loaded, index cached).

Per question, in one process and interleaved: the plain pipeline (sentence-transformers query encode +
``IndexFlatIP`` over the same vectors), qa search (hybrid dense + BM25, collapsed, top 5) and qa's quotes
answer (``Index.ask``: search + sentence scoring + the reader + the entailment model + citations), and the same
answer with the reader switched off (``reader=False``, what qa did before it had one), with the reader reading
whole passages (``reader_focus=0``, before issue 18's focused windows), with the reading used until 2026-12-01
(``read_top=3, reader_focus=96``: three passages, narrower windows) and with the entailment model switched off
(``entailment=False``: the word-list conflict rules), without the entailment model's check of the reader's
span (``verify=False``, before it gated the answer) and with the short answer shown by the reader's margin
threshold alone (``short_model=False``, before 2026-12-02's fitted decision) and from the best margin's reading
alone (``short_rerank=False``, before each reading was put to that decision), and without the check for a
message that asks several things (``compound=False``, before 2026-12-02) and without the learned fallback of the
broad-question kinds (``learned_kinds=False``, before 2026-12-03). p50/p95 in milliseconds. Each timed call
follows a 0.1 s pause, so that no engine's idle-spinning threads slow down the next one.

``--mode rss-qa`` / ``rss-plain``: a separate process that only loads what answering needs (qa: the index +
ONNX model; plain: the sentence-transformers model + a flat FAISS index of the same vectors) and answers
the questions; its peak RSS is what a long-running app needs at least.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import RESULTS, WORK, load_avg, machine, peak_rss_mb, percentiles, queries, rss_mb, timed, write_result


def plain_searcher(vectors: np.ndarray):
    import faiss
    from sentence_transformers import SentenceTransformer

    from qa.embed.base import bundled_model_dir

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu", local_files_only=True)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(q: str):
        v = model.encode([q], convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return flat.search(v, 10)

    return search


FAST = "qa quotes answer, embed_top=4"
NO_READER = "qa quotes answer without the reader"
NO_ENTAIL = "qa quotes answer without the entailment model"
NO_VERIFY = "qa quotes answer without the span check"
WHOLE = "qa quotes answer, the reader reading whole passages"
NARROW = "qa quotes answer, the reader reading 3 passages focused to 96 word pieces"
MARGIN = "qa quotes answer, the short answer by the margin threshold alone"
ONE_READING = "qa quotes answer, the short answer from the best margin's reading alone"
NO_COMPOUND = "qa quotes answer without the compound-question check"
NO_LEARNED = "qa quotes answer without the learned kind fallback"
PAUSE_S = 0.1


def latency(corpus: str, n: int) -> dict:
    import qa
    from qa.answer.evidence import warm

    folder = WORK / f"qa-{corpus}"
    with timed() as t_load:
        index = qa.load_index(folder)
        index.embedder.encode_queries(["warm up"])
    warm(index)  # the word-vector table (built once per machine, then read from ~/.cache/qa/words) and the reader
    qs = queries(corpus, n)
    plain = plain_searcher(np.asarray(index.snapshot.vectors))
    for q in qs[:5]:  # warm every path
        plain(q)
        index.search(q, 5)
        index.ask(q)
    index.embedder.vector_cache().clear()  # the measured questions start from an empty sentence cache
    times: dict[str, list[float]] = {"plain search": [], "qa search": [], "qa quotes answer": [], WHOLE: [], NARROW: [],
                                     NO_READER: [],
                                     NO_ENTAIL: [], NO_VERIFY: [], MARGIN: [], ONE_READING: [], NO_COMPOUND: [], NO_LEARNED: []}
    cpu: dict[str, list[float]] = {k: [] for k in times}

    def clock(name: str, fn, *a):
        # every call starts from idle threads, as a question typed into the chat does: without the pause, the
        # threads one engine leaves spinning (onnxruntime, torch's OpenMP) slow down whichever engine runs next
        time.sleep(PAUSE_S)
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*a)
        times[name].append((time.perf_counter() - t0) * 1000)
        cpu[name].append((time.process_time() - c0) * 1000)
        return out

    found = 0
    for i, q in enumerate(qs):
        clock("plain search", plain, q)
        clock("qa search", index.search, q, 5)
        # with and without the reader / the entailment model, in rotating order (later calls find warm sentence vectors)
        answers = [("qa quotes answer", {}), (WHOLE, {"reader_focus": 0}), (NARROW, {"read_top": 3, "reader_focus": 96}),
                   (NO_READER, {"reader": False}),
                   (NO_ENTAIL, {"entailment": False}), (NO_VERIFY, {"verify": False}), (MARGIN, {"short_model": False}),
                   (ONE_READING, {"short_rerank": False}), (NO_COMPOUND, {"compound": False}),
                   (NO_LEARNED, {"learned_kinds": False})]
        for name, options in answers[i % len(answers):] + answers[:i % len(answers)]:
            ans = clock(name, lambda x, o=options: index.ask(x, **o), q)
            found += bool(name == "qa quotes answer" and ans.found)
    # the same questions again with fewer sentences embedded (same cache state: emptied first)
    times[FAST], cpu[FAST] = [], []
    index.embedder.vector_cache().clear()
    for q in qs:
        clock(FAST, lambda x: index.ask(x, embed_top=4), q)
    return {"questions": len(qs), "passages": len(index), "index_load_s": t_load.wall, "answered_found": found,
            "dense_kind": index.manifest["dense"]["kind"], "embedder": index.embedder.fingerprint,
            "ms": {k: percentiles(v) for k, v in times.items() if v},
            "cpu_ms": {k: percentiles(v) for k, v in cpu.items() if v}}


def rss(corpus: str, n: int, system: str) -> dict:
    qs = queries(corpus, n)
    base = rss_mb()
    if system == "qa":
        import qa

        index = qa.load_index(WORK / f"qa-{corpus}")
        for q in qs:
            index.ask(q)
    else:
        vectors = np.load(WORK / f"qa-{corpus}" / _vectors_file(WORK / f"qa-{corpus}"))
        search = plain_searcher(vectors)
        del vectors
        for q in qs:
            search(q)
    return {"questions": len(qs), "rss_before_mb": base["VmRSS"], **rss_mb(), "peak_rss_mb": peak_rss_mb()}


def _vectors_file(folder: Path) -> str:
    import json

    return json.loads((folder / "manifest.json").read_text())["files"]["vectors"]["path"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", choices=["scifact", "multihop"], required=True)
    ap.add_argument("--mode", choices=["latency", "rss-qa", "rss-plain"], default="latency")
    ap.add_argument("--n", type=int, default=200, help="questions")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    start = load_avg()
    if args.mode == "latency":
        r = latency(args.corpus, args.n)
        name = f"latency-{args.corpus}"
    else:
        r = rss(args.corpus, args.n, args.mode.split("-")[1])
        name = f"{args.mode}-{args.corpus}"
    r.update(corpus=args.corpus, mode=args.mode, load_avg_start=start, machine=machine())
    write_result(name, r, args.results)
    if args.mode == "latency":
        print(f"latency {args.corpus}: " + ", ".join(f"{k} p50 {v['p50']:.1f} ms p95 {v['p95']:.1f} ms" for k, v in r["ms"].items()))
    else:
        print(f"{args.mode} {args.corpus}: peak RSS {r['peak_rss_mb']:.0f} MiB")


if __name__ == "__main__":
    main()
