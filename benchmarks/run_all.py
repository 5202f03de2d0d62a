"""Run every benchmark, each stage in its own process, then write BENCHMARKS.md.

    python benchmarks/run_all.py            # everything (about 30 min on an idle 2-core machine)
    python benchmarks/run_all.py --quick    # a subset in a few minutes (smaller corpora and sizes)
    python benchmarks/run_all.py --only ann,quality

Needs the bench-only dependencies: ``pip install -r requirements-bench.txt``. Results (one JSON per stage)
go to ``benchmarks/results/``; BENCHMARKS.md is rewritten after every stage, so an interrupted run still
reports what it measured.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report
from common import RESULTS, ROOT


def stages(quick: bool) -> list[tuple[str, list[str]]]:
    sci = ["--limit", "400"] if quick else []
    mh = ["--limit", "40"] if quick else []
    out = [("encoder", ["bench_encoder.py", "--n", "256" if quick else "1024"])]
    for system in ("plain", "qa", "txtai"):
        out.append((f"ingest-scifact-{system}", ["bench_ingest.py", "--system", system, "--corpus", "scifact", *sci]))
    out += [
        ("latency-scifact", ["bench_latency.py", "--corpus", "scifact", "--n", "40" if quick else "200"]),
        ("rss-qa-scifact", ["bench_latency.py", "--corpus", "scifact", "--mode", "rss-qa", "--n", "30"]),
        ("rss-plain-scifact", ["bench_latency.py", "--corpus", "scifact", "--mode", "rss-plain", "--n", "30"]),
        ("app-scifact", ["bench_app.py", "--corpus", "scifact", "--n", "10" if quick else "30"]),
        ("ann", ["bench_ann.py", "--sizes", "10000,100000" if quick else "10000,100000,1000000",
                 "--queries", "100" if quick else "300"]),
        ("quality", ["bench_quality.py", "--datasets", "scifact" if quick else "scifact,multihop"]),
    ]
    for system in ("plain", "qa", "txtai"):
        out.append((f"ingest-multihop-{system}", ["bench_ingest.py", "--system", system, "--corpus", "multihop", *mh]))
    out += [
        ("latency-multihop", ["bench_latency.py", "--corpus", "multihop", "--n", "40" if quick else "200"]),
        ("bm25", ["bench_bm25.py", "--sizes", "5000,50000" if quick else "5000,50000,200000"]),
    ]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a subset: 400 SciFact docs, 40 MultiHop articles, ANN to 100k")
    ap.add_argument("--only", help="comma-separated stage names (prefixes match), e.g. ann,ingest-scifact")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--keep", action="store_true", help="keep earlier results (default: start a fresh results folder)")
    args = ap.parse_args()
    todo = stages(args.quick)
    if args.only:
        wanted = args.only.split(",")
        todo = [(n, c) for n, c in todo if any(n.startswith(w) for w in wanted)]
    if not args.keep and not args.only:
        shutil.rmtree(args.results, ignore_errors=True)
    args.results.mkdir(parents=True, exist_ok=True)
    notes = [f"- mode: {'--quick (subset)' if args.quick else 'full'}"]
    failed = []
    t_all = time.perf_counter()
    for name, cmd in todo:
        t0 = time.perf_counter()
        print(f"=== {name}: {' '.join(cmd)}", flush=True)
        proc = subprocess.run([sys.executable, *cmd, "--results", str(args.results)], cwd=HERE, check=False)
        took = time.perf_counter() - t0
        if proc.returncode:
            failed.append(name)
            notes.append(f"- stage `{name}` failed (exit {proc.returncode}); its figures are missing")
        notes_now = notes + [f"- stages run: {len(todo)}; total time so far {took_str(time.perf_counter() - t_all)}"]
        report.write(args.results, args.out, report.HEADER, notes_now + [""])
        print(f"=== {name}: {took:.0f}s", flush=True)
    print(f"wrote {args.out} in {took_str(time.perf_counter() - t_all)}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def took_str(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


if __name__ == "__main__":
    raise SystemExit(main())
