"""Turn the JSON results of one benchmark run into BENCHMARKS.md (every figure next to its same-run baseline)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from common import RESULTS, ROOT


def load(results: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(results.glob("*.json"))}


def f(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.2f}×"


def section_machine(r: dict, notes: list[str]) -> list[str]:
    m = next((v["machine"] for v in r.values() if "machine" in v), None)
    if not m:
        return []
    loads = [v.get("load_avg_start", [None])[0] for v in r.values() if v.get("load_avg_start")]
    v = m["versions"]
    lines = ["## Machine", "",
             f"- {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}; {m['platform']}",
             (f"- torch {v.get('torch')}, onnxruntime {v.get('onnxruntime')}, faiss {v.get('faiss')}, "
             f"sentence-transformers {v.get('sentence_transformers')}, txtai {v.get('txtai')}, bm25s {v.get('bm25s')}"),
             (f"- run finished {max(x.get('finished', '') for x in r.values())}; "
             f"1-minute load average at the start of each stage: {', '.join(f(x, 1) for x in loads if x is not None)} "
             f"(2 cores: anything above 2 means the stages shared the CPU with other work)"), ""]
    lines += notes
    return lines


def section_encoder(r: dict) -> list[str]:
    e = r.get("encoder")
    if not e:
        return []
    c = e["cosine"]
    return ["## Encoder: torch vs ONNX int8", "",
            (f"{e['passages']} qa passages of SciFact ({e['word_pieces']:,} word pieces), batches of 32 sorted by length, "
            f"the two encoders interleaved batch by batch; onnxruntime intra-op threads = {e['threads']}."), "",
            "| | torch (baseline) | ONNX int8 | speed-up |", "|---|---:|---:|---:|",
            f"| passages/s (wall) | {f(e['torch']['passages_per_s'])} | {f(e['onnx']['passages_per_s'])} | **{e['speedup_wall']:.2f}×** |",
            f"| CPU seconds | {f(e['torch']['cpu_s'])} | {f(e['onnx']['cpu_s'])} | {e['speedup_cpu']:.2f}× |",
            (f"| one query, p50 ms | {f(e['query_ms']['torch']['p50'])} | {f(e['query_ms']['onnx']['p50'])} | "
            f"{ratio(e['query_ms']['torch']['p50'], e['query_ms']['onnx']['p50'])} |"),
            f"| model load, s | {f(e['model_load_s']['torch'])} | {f(e['model_load_s']['onnx'])} | |", "",
            (f"Cosine of each int8 vector to its fp32 torch vector: mean **{c['mean']:.4f}**, 1st percentile {c['p1']:.4f}, "
            f"min {c['min']:.4f}; {100 * c['share_ge_0.99']:.1f}% of passages ≥ 0.99."), "",
            *(["Where the int8 encoder's time goes (onnxruntime profile, 256 of the passages): " + ", ".join(
                f"{op} {100 * share:.1f}%" for op, share in e["onnx_op_share"].items() if share >= 0.001) + ".", ""]
              if e.get("onnx_op_share") else [])]


def section_ingest(r: dict) -> list[str]:
    lines = ["## Ingest throughput", "",
             ("Each system in its own process, model already loaded, from the corpus file to a searchable index "
             "(qa: to a finished index folder on disk — chunks, vectors, FAISS, BM25, manifest, fsync). "
             "`plain` = sentence-transformers `encode` (default batch 32) + `faiss.IndexFlatIP`; "
             "`txtai` = `txtai.Embeddings` on the same bundled model with its defaults. "
             "SciFact abstracts are given to plain/txtai whole (the model truncates them at 256 word pieces: 71% are longer, "
             "so they embed fewer word pieces than qa, which chunks and embeds every word); MultiHop-RAG articles are cut "
             "into 200-word windows for them. Ratios are qa ÷ baseline; CPU ratios (baseline CPU s ÷ qa CPU s) are "
             "less sensitive to other load on the machine."), "",
             "| corpus | system | docs | passages | word pieces | wall s | CPU s | docs/s | passages/s | peak RSS MiB | docs/s ratio (wall) | CPU ratio |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    any_row = False
    for corpus in ("scifact", "multihop"):
        qa_r = r.get(f"ingest-{corpus}-qa")
        for system in ("qa", "qa-torch", "plain", "txtai"):
            x = r.get(f"ingest-{corpus}-{system}")
            if not x:
                continue
            any_row = True
            rw = rc = ""
            if system != "qa" and qa_r:
                rw = f"**{qa_r['docs_per_s'] / x['docs_per_s']:.2f}×**"
                rc = f"{x['cpu_s'] / qa_r['cpu_s']:.2f}×"
            lines.append(f"| {corpus} | {system} | {x['docs']:,} | {x['passages']:,} | {x['word_pieces']:,} | {f(x['wall_s'])} | "
                         f"{f(x['cpu_s'])} | {f(x['docs_per_s'])} | {f(x['passages_per_s'])} | {f(x['peak_rss_mb'], 0)} | {rw} | {rc} |")
    if not any_row:
        return []
    lines.append("")
    for corpus in ("scifact", "multihop"):
        q = r.get(f"ingest-{corpus}-qa")
        if not q:
            continue
        prof = q.get("profile_s", {})
        enc = prof.get("encoder (main thread busy)")
        lines += [f"Where qa's time goes ({corpus}, {f(q['wall_s'])} s wall; the worker's stages overlap the encoder):", ""]
        lines += [f"- {k}: {f(v)} s ({100 * v / q['wall_s']:.0f}% of wall)" for k, v in prof.items()]
        if enc:
            lines.append(f"- encoder limit: the encoder alone needed {f(enc)} s for the {q['embedded']:,} embedded passages; "
                         f"the whole ingest ran at **{100 * enc / q['wall_s']:.0f}%** of that limit "
                         f"({q['embedded'] / enc:.1f} vs {q['embedded'] / q['wall_s']:.1f} passages/s).")
        lines.append("")
    return lines


def section_latency(r: dict) -> list[str]:
    rows = []
    for corpus in ("scifact", "multihop"):
        x = r.get(f"latency-{corpus}")
        if not x:
            continue
        base = x["ms"].get("plain search", {}).get("p50")
        for name, v in x["ms"].items():
            c = x.get("cpu_ms", {}).get(name, {})
            when = str(x.get("machine", {}).get("date", ""))[:10]  # runs of different days sit in one table
            rows.append(f"| {corpus} ({x['passages']:,} passages, {x['dense_kind']}{', ' + when if when else ''}) | {name} | {x['questions']} | "
                        f"**{f(v['p50'])}** | {f(v['p95'])} | {f(c.get('p50'))} | {f(c.get('p95'))} | "
                        f"{ratio(base, v['p50']) if name != 'plain search' else 'baseline'} |")
    if not rows:
        return []
    return ["## Question latency (warm)", "",
            ("One process: index and models loaded once, 5 warm-up questions, then each question through each path in turn. "
            "`plain search` = sentence-transformers query encode + flat FAISS top 10 over the same vectors (baseline); "
            "`qa search` = hybrid dense + BM25, fused, collapsed, top 5; `qa quotes answer` = `Index.ask` "
            "(search + sentence scoring + citations), starting from an empty sentence cache; `embed_top=4` = the same "
            "with only the first pass of sentence embedding (4 sentences, never up to 12: a speed/quality option, not the default). CPU ms = CPU time of the process per question (all threads): "
            "on a busy machine wall time waits for a core, CPU time does not. Each corpus's rows come from one run (its date "
            "beside it); compare rows of one run only."), "",
            "| corpus | path | questions | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms | p50 speed-up vs plain |",
            "|---|---|---:|---:|---:|---:|---:|---:|", *rows, ""]


def section_rss(r: dict) -> list[str]:
    lines = []
    for corpus in ("scifact",):
        app, rq, rp = r.get(f"app-{corpus}"), r.get(f"rss-qa-{corpus}"), r.get(f"rss-plain-{corpus}")
        if not (app or rq or rp):
            continue
        lines += ["## Memory of the running app", "",
                  "| process | peak RSS MiB | RSS after the questions MiB | note |", "|---|---:|---:|---|"]
        if app and "rss_after_mb" in app:
            lines.append(f"| `app.py` (Gradio) serving the SciFact index, {app['chat_ms']['n']} `/chat` questions | "
                         f"{f(app['rss_after_mb']['VmHWM'], 0)} | {f(app['rss_after_mb']['VmRSS'], 0)} | ready in "
                         f"{f(app['ready_s'])} s; `/chat` p50 {f(app['chat_ms']['p50'], 0)} ms, p95 {f(app['chat_ms']['p95'], 0)} ms end to end |")
        elif app:
            lines.append(f"| `app.py` | – | – | not measured: {app.get('error')} |")
        if rq:
            lines.append(f"| qa: load index + ONNX model, answer {rq['questions']} questions (quotes) | {f(rq['VmHWM'], 0)} | {f(rq['VmRSS'], 0)} | |")
        if rp:
            lines.append(f"| plain (baseline): sentence-transformers + flat FAISS, {rp['questions']} searches | {f(rp['VmHWM'], 0)} | {f(rp['VmRSS'], 0)} | |")
        lines.append("")
    return lines


def section_ann(r: dict) -> list[str]:
    parts = [v for k, v in r.items() if k.startswith("ann")]
    if not parts:
        return []
    a = dict(parts[0])
    # a backend measured twice at one size (e.g. re-run after a fix): the later run's figures
    latest: dict[tuple[int, str], tuple[str, dict]] = {}
    sizes: dict[int, dict] = {}
    for p in parts:
        for s in p["sizes"]:
            sizes.setdefault(s["n"], {k: v for k, v in s.items() if k != "backends"})
            for b in s["backends"]:
                key = (s["n"], b["kind"])
                if key not in latest or p.get("finished", "") > latest[key][0]:
                    latest[key] = (p.get("finished", ""), b)
    order = ["flat", "ivf-sq8", "hnsw-sq8"]
    a["sizes"] = [{**sizes[n], "backends": sorted((b for (m, _), (_, b) in latest.items() if m == n),
                                                  key=lambda b: order.index(b["kind"]) if b["kind"] in order else 9)}
                  for n in sorted(sizes)]
    lines = ["## Dense index by size (ANN)", "",
             (f"Vectors: {a['source']}, interpolated between neighbouring passages plus noise to reach each size; "
             f"queries: {a['queries']} real SciFact questions (ONNX-encoded). Recall@10 against exact (flat) search over the same "
             "vectors; latency = one question at a time, k=10 (the flat row is the baseline); bytes = the saved FAISS index "
             "(what it holds in RAM) per passage. Filtered = restricted to a 50-row document filter. "
             "`chosen` marks what `DenseIndex.build` picks at that size."), "",
             "| passages | backend | build s | recall@10 | p50 ms | p95 ms | filtered p50 ms | bytes/passage | p50 speed-up vs flat | params |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in a["sizes"]:
        flat = next((b for b in s["backends"] if b["kind"] == "flat"), None)
        for b in s["backends"]:
            chosen = " (chosen)" if b["kind"] == s["chosen"] else ""
            params = f"nlist {b['nlist']}, nprobe {b['nprobe']}" if "nprobe" in b else ""
            lines.append(f"| {s['n']:,} | {b['kind']}{chosen} | {f(b['build_s'])} | {b['recall@10']:.3f} | {f(b['ms']['p50'], 2)} | "
                         f"{f(b['ms']['p95'], 2)} | {f(b['filtered_ms']['p50'], 2)} | {f(b['bytes_per_passage'], 0)} | "
                         f"{ratio(flat['ms']['p50'], b['ms']['p50']) if flat and b is not flat else ''} | {params} |")
    lines.append("")
    for s in a["sizes"]:
        for b in s["backends"]:
            if b.get("sweep"):
                pts = "; ".join(f"nprobe {x['nprobe']}: recall {x['recall@10']:.3f}, p50 {x['p50_ms']:.2f} ms" for x in b["sweep"])
                lines.append(f"- {b['kind']} at {s['n']:,} (calibrated nprobe {b['nprobe']}): {pts}")
    lines.append("")
    return lines


def section_quality(r: dict) -> list[str]:
    q = r.get("quality")
    if not q:
        return []
    lines = ["## Retrieval quality: torch vs ONNX int8", "",
             "`qa.evaluation` protocol (chunks of 256, title embedded); each embedder has its own cached evaluation index.", "",
             "| dataset | retrieval | metric | torch (baseline) | ONNX int8 | Δ |", "|---|---|---|---:|---:|---:|"]
    for ds, per in q["datasets"].items():
        for fusion, row in per.items():
            for m in row["torch"]["metrics"]:
                d = row["delta"][m]
                bold = "**" if m == row["main_metric"] else ""
                lines.append(f"| {ds} ({row['torch']['queries']} q) | {fusion} | {bold}{m}{bold} | {row['torch']['metrics'][m]:.4f} | "
                             f"{row['onnx-int8']['metrics'][m]:.4f} | {bold}{d:+.4f}{bold} |")
    lines.append("")
    return lines


def section_quality_subset(r: dict) -> list[str]:
    q = r.get("quality-multihop-subset")
    if not q:
        return []
    lines = [(f"MultiHop-RAG on a sub-corpus ({q['articles']} articles: those holding the evidence of the first "
             f"{q['queries']} queries, plus distractors; {q['passages']} passages; same protocol and retrieval):"), "",
             "| retrieval | metric | torch (baseline) | ONNX int8 | Δ |", "|---|---|---:|---:|---:|"]
    for fusion, row in q["results"].items():
        for m in row["torch"]:
            bold = "**" if m == "hits@10" else ""
            lines.append(f"| {fusion} | {bold}{m}{bold} | {row['torch'][m]:.4f} | {row['onnx-int8'][m]:.4f} | "
                         f"{bold}{row['delta'][m]:+.4f}{bold} |")
    lines.append("")
    return lines


def section_bm25(r: dict) -> list[str]:
    b = r.get("bm25")
    if not b:
        return []
    lines = ["## BM25 (bm25s sparse matrices) by size", "",
             ("Real SciFact abstracts, resampled with shuffled words beyond 5,183. Each size and build in a fresh "
              "process; 'build peak extra' = peak RSS during the build minus RSS just before it (the passage texts, "
              "already in memory, not counted); on disk = what a loaded index holds in memory. Baseline in the same "
              "run: bm25s's own `BM25.index` over token lists (same scores)."), "",
             "| passages | build | build s | build peak extra MiB | … per passage | vs bm25s | on disk bytes/passage "
             "| query p50 ms | query p95 ms |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    ref = {s["n"]: s for s in b["sizes"] if s.get("engine") == "bm25s"}
    for s in b["sizes"]:
        engine = s.get("engine", "qa")
        base = ref.get(s["n"]) if engine == "qa" else None
        ratio = f"{s['build_peak_extra_mb'] / base['build_peak_extra_mb']:.2f}×" if base else ""
        name = "qa streaming" if engine == "qa" else "bm25s `index`"
        lines.append(f"| {s['n']:,} | {name} | {f(s['build_s'])} | {f(s['build_peak_extra_mb'], 0)} | "
                     f"{f(s['build_peak_bytes_per_passage'], 0)} B | {ratio} | {f(s['disk_bytes_per_passage'], 0)} | "
                     f"{f(s['query_ms']['p50'], 2)} | {f(s['query_ms']['p95'], 2)} |")
    lines.append("")
    return lines


def conclusions() -> list[str]:
    """The hand-written reading of the figures (benchmarks/NOTES.md), placed before the tables."""
    notes = Path(__file__).resolve().parent / "NOTES.md"
    return notes.read_text(encoding="utf-8").rstrip().splitlines() + [""] if notes.exists() else []


def write(results: Path, out: Path, header: list[str], notes: list[str]) -> None:
    r = load(results)
    body = (header + conclusions() + section_machine(r, notes) + section_encoder(r) + section_ingest(r)
            + section_latency(r) + section_rss(r) + section_ann(r) + section_quality(r) + section_quality_subset(r)
            + section_bm25(r))
    out.write_text("\n".join(body).rstrip() + "\n", encoding="utf-8")


HEADER = ["# Benchmarks", "",
          ("Written by `python benchmarks/run_all.py` (`--quick` for a subset; see `benchmarks/README.md`). "
          "Every figure sits next to a baseline measured in the same run, because the machine is shared and noisy: "
          "compare ratios, not absolute numbers, across runs."), ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = ap.parse_args()
    write(args.results, args.out, HEADER, [])


if __name__ == "__main__":
    main()
