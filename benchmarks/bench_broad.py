"""Broad questions (issue 17): p50 latency of a summary of two documents (the sample articles) and of a 20-document
collection (MultiHop-RAG articles), and of what someone said (statements), warm, with a factoid question on the same
index as the same-run baseline.

Targets: <= 300 ms (two documents) and <= 1.5 s (20 documents), warm. "Warm" is a loaded process (model, word
table) asking again; the first summary of a collection (cold: its documents' sentences read and vectorised for
the first time in the process) is reported beside it. Writes ``results/broad.json``.

``--large``: broad questions over the 5,183 SciFact abstracts (the index ``bench_ingest.py`` builds under
``$QA_BENCH_WORK/qa-scifact``), read as shipped (a bounded set: ``qa.answer.broad.scope``) and, in the same run,
with every document read (``AnswerConfig(broad_documents=0)``, the behaviour before the bound; one run each, it
takes minutes). Writes ``results/broad-large.json``.

    python benchmarks/bench_broad.py [--runs 15] [--docs 20] [--large]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from common import MULTIHOP, RESULTS, ROOT, WORK, load_avg, machine  # type: ignore[import-not-found]

import qa
from qa.answer.config import AnswerConfig
from qa.answer.evidence import warm
from qa.types import Document

QUESTIONS = {"summary": "What are these documents about?", "key points": "Give me the key points of the documents.",
             "factoid (baseline)": "Who was wounded in the attack?"}
# what someone said (statements): a person each collection quotes
STATEMENTS = {"two documents": "What did Arestovych say?", "many": "What did Eddy Cue say?"}
# a description (who is / what happened), also without the factoid path's evidence (``broad_evidence=0``), same run
DESCRIBE = {"two documents": "What happened in the ambush?", "many": "Who is Sam Bankman-Fried?"}


def _collection(n: int) -> list[Document]:
    corpus = json.loads((MULTIHOP / "corpus.json").read_text(encoding="utf-8"))
    return [Document(f"mh-{i:03d}", a["title"], a["body"], a.get("url"), {"outlet": a.get("source", "")})
            for i, a in enumerate(corpus[:n])]


# broad questions over a large collection: without a topic (representatives) and with one (retrieved documents)
LARGE = {"summary": "Summarize the documents.", "key points": "What are the key points?",
         "comparison": "Compare the documents.", "entity": "Tell me about vitamin D.",
         "list": "List the diseases mentioned.", "factoid (baseline)": "What does vitamin D deficiency cause?"}


def _time(idx: qa.Index, question: str, runs: int, **kw: object) -> dict[str, float]:
    t0 = time.perf_counter()
    first = idx.ask(question, **kw)  # type: ignore[arg-type]
    cold = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        idx.ask(question, **kw)  # type: ignore[arg-type]
        times.append(time.perf_counter() - t0)
    times = times or [cold]  # one run: the first is all there is
    return {"cold_s": round(cold, 4), "p50_s": round(statistics.median(times), 4),
            "p90_s": round(sorted(times)[int(0.9 * (len(times) - 1))], 4), "citations": len(first.citations),
            "found": first.found}


def large(runs: int) -> dict[str, object]:
    """Each ``LARGE`` question over the SciFact index: bounded (shipped) and every document read, same run."""
    idx = qa.load_index(WORK / "qa-scifact")
    warm(idx)
    every = AnswerConfig(broad_documents=0)
    out: dict[str, object] = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "runs": runs,
                              "documents": len(idx.snapshot.documents), "load_avg_start": load_avg()}
    for label, q in LARGE.items():
        bounded = _time(idx, q, runs)
        whole = _time(idx, q, 0, config=every) if label != "factoid (baseline)" else None
        out[label] = {"question": q, "bounded": bounded, "every document": whole}
        print(label, json.dumps(out[label]), flush=True)
    out["load_avg_end"] = load_avg()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--large", action="store_true", help="the SciFact collection, bounded vs every document read")
    args = ap.parse_args()
    if args.large:
        result = large(args.runs)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "broad-large.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return
    WORK.mkdir(parents=True, exist_ok=True)
    two = qa.build_index(ROOT / "documents", WORK / "broad-two")
    many = qa.build_index(_collection(args.docs), WORK / f"broad-{args.docs}")
    for idx in (two, many):
        warm(idx)  # the model, the reader and the word table, as the app does before its first question
    out: dict[str, object] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "runs": args.runs}
    for name, idx in (("two documents", two), (f"{args.docs} documents", many)):
        out[name] = {label: _time(idx, q, args.runs) for label, q in QUESTIONS.items()}
        said = STATEMENTS["two documents" if idx is two else "many"]
        out[name][f"statements ({said})"] = _time(idx, said, args.runs)
        described = DESCRIBE["two documents" if idx is two else "many"]
        out[name][f"description ({described})"] = _time(idx, described, args.runs)
        out[name][f"description ({described}), broad_evidence=0"] = _time(idx, described, args.runs,
                                                                           config=AnswerConfig(broad_evidence=0))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "broad.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
