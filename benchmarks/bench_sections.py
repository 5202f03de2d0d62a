"""Cost of reading headings as sections (``qa.answer.sections``, ``AnswerConfig.sections``) on the answer path,
2026-12-03.

The same index (all 2,067 SQuAD v1.1 dev paragraphs, built as ``python -m qa eval squad-answers`` builds it) and 200
of its questions drawn at random (seed 3), each asked once first so that both readings find the sentence vectors
cached, then asked with and without sections, alternating which goes first. Wall-clock p50 per answer.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from common import DATA, machine, write_result

import qa
from qa.answer.config import AnswerConfig
from qa.paths import cache_dir
from qa_tools.evaluation import load_squad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--squad", type=Path, default=DATA / "squad-v1.1")
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--results", type=Path, default=None)
    args = ap.parse_args()
    docs, questions = load_squad(args.squad / "dev-v1.1.json")
    folder = cache_dir() / "bench" / "sections-squad"
    idx = qa.build_index(list(docs), folder) if not (folder / "manifest.json").exists() else qa.load_index(folder)
    random.seed(3)
    qs = [q["question"] for q in random.sample(questions, args.questions)]
    for q in qs:
        idx.ask(q)
    on, off = AnswerConfig(), AnswerConfig(sections=False)
    ms: dict[str, list[float]] = {"sections": [], "without": []}
    for i, q in enumerate(qs):
        for name, cfg in (("sections", on), ("without", off)) if i % 2 else (("without", off), ("sections", on)):
            t0 = time.perf_counter()
            idx.ask(q, config=cfg)
            ms[name].append(1000 * (time.perf_counter() - t0))
    out = {k: round(statistics.median(v), 2) for k, v in ms.items()}
    out["ratio"] = round(out["sections"] / out["without"], 3)
    print(json.dumps(out))
    kw = {"results": args.results} if args.results else {}
    write_result("sections", {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "questions": len(qs),
                              "p50_ms": out}, **kw)


if __name__ == "__main__":
    main()
