"""Memory of indexing one large text (issue 13): the code of a baseline commit against the working tree, same run.

Each side indexes the same plain-text file in fresh processes (old and new alternate, who goes first alternates
too), each as the running app does: the int8 model loaded and warmed up, one sentence indexed first (index
libraries imported, tokenizers loaded), then the file is read (``load_file``) and indexed (``qa.build_index``)
into a new folder. Reported per process: the peak resident memory reading and indexing added (VmHWM after
resetting it to VmRSS), passages, wall and
CPU seconds, and a sha256 of the vectors and passages written, so that both sides are seen to produce the same
index. The baseline's ``qa`` package is taken from ``git archive <commit>`` into the work folder.

The text: SciFact abstracts, then MultiHop-RAG articles, as paragraphs, up to ``--chars`` characters (real prose,
no repeated passages). The worst case the budgets admit is ``QA_MAX_CHARS`` = 10,000,000 characters:
``--chars 9990000``.

    python benchmarks/bench_index_memory.py --baseline HEAD~1 --chars 9990000 --repeats 1
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import RESULTS, ROOT, WORK, load_avg, machine, multihop_documents, scifact_documents, write_result

CHILD = r"""
import hashlib, json, resource, shutil, sys, tempfile, time
from pathlib import Path
import numpy as np
import qa
from qa.embed.onnx import OnnxEmbedder
from qa.ingest.loaders import load_file

def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024

emb = OnnxEmbedder().prepare()
emb.encode_queries(["warm up"])
if sys.argv[2] == "stub":  # onnxruntime not run: what grows with the document, without the encoder's working memory
    emb._run = lambda ids: np.ones((len(ids), emb.dim), np.float32)
work = Path(tempfile.mkdtemp())
qa.build_index([qa.Document("one", "One", "The lighthouse was painted red in 1911.")], work / "a", embedder=emb)
before = status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS: the peak below is reading and indexing the file
t0, c0 = time.perf_counter(), time.process_time()
doc = load_file(sys.argv[1])
idx = qa.build_index([doc], work / "b", embedder=emb)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = status("VmHWM") - before
digest = hashlib.sha256(np.ascontiguousarray(idx.snapshot.vectors).tobytes())
for row in idx.snapshot.passages.rows():
    digest.update(repr(row).encode())
print(json.dumps({"chars": len(doc.text), "passages": len(idx.snapshot.passages), "peak_added_mib": peak,
                  "after_added_mib": status("VmRSS") - before, "resting_mib": before, "wall_s": wall, "cpu_s": cpu,
                  "index_sha256": digest.hexdigest()}))
shutil.rmtree(work)
"""


def large_text(chars: int) -> Path:
    """SciFact abstracts then MultiHop-RAG articles, as paragraphs, up to ``chars`` characters."""
    path = WORK / f"large-{chars}c.txt"
    if not path.exists():
        parts, size = [], 0
        for doc in [*scifact_documents(), *multihop_documents()]:
            text = doc.text.strip()
            if not text:
                continue
            if size + len(text) + 2 > chars:
                break
            parts.append(text)
            size += len(text) + 2
        WORK.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(parts), encoding="utf-8")
    return path


def baseline_tree(commit: str) -> tuple[Path, str]:
    """The ``qa`` package of ``commit``, unpacked under the work folder (once); (folder, full hash)."""
    full = subprocess.run(["git", "rev-parse", commit], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    folder = WORK / f"baseline-{full[:12]}"
    if not (folder / "qa").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", full, "qa"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder, full


def run_child(tree: Path, text: Path, encoder: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(text), encoder], cwd=tree, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True, help="the commit whose qa package is the baseline (e.g. HEAD~1)")
    ap.add_argument("--chars", type=int, default=9_990_000, help="characters of the text indexed")
    ap.add_argument("--text", type=Path, help="index this file instead (e.g. tests/bombs.py prose: more passages)")
    ap.add_argument("--repeats", type=int, default=1, help="fresh processes per side")
    ap.add_argument("--encoder", choices=("real", "stub"), default="real",
                    help="stub: the model's session is not run (constant vectors), to measure quickly what grows "
                         "with the document apart from the encoder's working memory")
    ap.add_argument("--parallel", action="store_true", help="run the two sides at the same time")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    text = args.text or large_text(args.chars)
    old_tree, commit = baseline_tree(args.baseline)
    sides = {"old": old_tree, "new": ROOT}
    start_load = load_avg()
    runs: list[dict] = []
    for i in range(args.repeats):
        order = ("old", "new") if i % 2 == 0 else ("new", "old")
        if args.parallel:  # both sides at once: the peaks are per process; times then share the CPU
            with ThreadPoolExecutor(2) as pool:
                done = list(pool.map(lambda side: {"side": side, **run_child(sides[side], text, args.encoder)}, order))
        else:
            done = [{"side": side, **run_child(sides[side], text, args.encoder)} for side in order]
        for r in done:
            runs.append(r)
            print(f"{r['side']}: {r['passages']} passages, +{r['peak_added_mib']:.0f} MiB peak, {r['wall_s']:.0f} s "
                  f"wall, {r['cpu_s']:.0f} s CPU", flush=True)

    def worst(side: str) -> float:
        return max(r["peak_added_mib"] for r in runs if r["side"] == side)

    same = len({r["index_sha256"] for r in runs}) == 1
    result = {"machine": machine(), "load_avg_start": start_load, "parallel": args.parallel, "encoder": args.encoder,
              "load_avg_end": load_avg(), "baseline": commit,
              "text": text.name, "runs": runs, "peak_added_mib": {s: worst(s) for s in sides},
              "new_over_old": worst("new") / worst("old"), "same_index": same}
    write_result("index-memory" + ("-stub" if args.encoder == "stub" else ""), result, args.results)
    print(f"index memory: {text.name} adds at most +{worst('old'):.0f} MiB (baseline {commit[:9]}) vs "
          f"+{worst('new'):.0f} MiB (working tree), {worst('new') / worst('old'):.2f}x; same vectors and passages: {same}")


if __name__ == "__main__":
    main()
