"""Cost of the quotable-sentence splitter (``qa.text.sentences.quote_spans``) on the answer path, 2026-12-03.

Two readings, interleaved per text in one process: today's (a line wrapped inside a paragraph goes on, a list
item's bullet is left out of its quote) and the baseline it replaced (every line break ends a sentence, no bullet
trimmed: ``_wrapped`` and ``_bullet_length`` switched off in this process only). Texts: the SciFact abstracts as
they are (no line breaks), the same abstracts hard-wrapped at 72 columns (every line break is checked), and the
two sample articles. CPU seconds per 1,000 texts, and how many spans each reading gives.
"""
from __future__ import annotations

import argparse
import json
import textwrap
import time
from pathlib import Path

from common import ROOT, SCIFACT, machine, write_result

import qa.text.sentences as sentences


def _corpora(limit: int) -> dict[str, list[str]]:
    abstracts = []
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            abstracts.append(json.loads(line)["text"])
            if len(abstracts) >= limit:
                break
    samples = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "documents").glob("*.txt"))]
    return {"scifact": abstracts, "scifact_wrapped_72": [textwrap.fill(t, 72) for t in abstracts],
            "sample_articles": samples * max(1, limit // 200)}


def _time(texts: list[str], baseline: bool, rounds: int) -> tuple[float, int]:
    wrapped, bullet = sentences._wrapped, sentences._bullet_length
    if baseline:
        sentences._wrapped = lambda text, newline, end: False  # type: ignore[assignment]
        sentences._bullet_length = lambda text, start, end: 0  # type: ignore[assignment]
    try:
        spans = 0
        start = time.process_time()
        for _ in range(rounds):
            for t in texts:
                spans += len(sentences.quote_spans(t, 0, len(t)))
        return (time.process_time() - start) / rounds, spans // rounds
    finally:
        sentences._wrapped, sentences._bullet_length = wrapped, bullet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=2000, help="SciFact abstracts")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per reading")
    ap.add_argument("--results", type=Path, default=None)
    args = ap.parse_args()
    out: dict[str, dict[str, float]] = {}
    for name, texts in _corpora(args.limit).items():
        base = today = 0.0
        for _ in range(args.rounds):  # interleaved: the machine's noise falls on both
            b, base_spans = _time(texts, True, 1)
            n, today_spans = _time(texts, False, 1)
            base, today = base + b, today + n
        per = 1000 / len(texts) / args.rounds
        out[name] = {"texts": len(texts), "baseline_ms_per_1000": round(base * per * 1000, 2),
                     "today_ms_per_1000": round(today * per * 1000, 2), "ratio": round(today / base, 3),
                     "baseline_spans": base_spans, "today_spans": today_spans}
        print(name, out[name])
    kw = {"results": args.results} if args.results else {}
    write_result("sentences", {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "corpora": out}, **kw)


if __name__ == "__main__":
    main()
