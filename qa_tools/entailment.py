"""Evaluations of the entailment model and what qa does with it: 3-way accuracy on held-out NLI pairs and on
the product-like pairs, and per-source verdicts on yes/no questions asked of short news sets
(``tests/data/yesno``). Every figure is reported per split; only ``heldout`` figures are the ones to quote.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.config import DEFAULT_CONFIG, AnswerConfig
from qa.answer.entail import LABELS, Entailer
from qa.embed.base import Embedder
from qa.embed.registry import default_embedder
from qa.index import build_index
from qa.paths import cache_dir
from qa.text.questions import to_claim
from qa.types import Document

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
YESNO = DATA / "yesno_questions.jsonl"
YESNO_DOCS = DATA / "yesno"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def accuracy(entailer: Entailer, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Argmax accuracy and per-label recall of ``rows`` (premise, hypothesis, label 0-2)."""
    if not rows:
        return {"n": 0}
    probs = entailer.probabilities([(r["premise"], r["hypothesis"]) for r in rows])
    y = np.array([r["label"] for r in rows])
    pred = probs.argmax(1)
    out: dict[str, Any] = {"n": len(rows), "accuracy": round(float((pred == y).mean()) * 100, 2)}
    for k, name in enumerate(LABELS):
        if (y == k).any():
            out[f"recall_{name}"] = round(float((pred[y == k] == k).mean()) * 100, 2)
    return out


def eval_nli(data: Path, entailer: Entailer | None = None) -> dict[str, Any]:
    """Accuracy on SNLI test (held out), the product-like pairs' held-out and dev parts, and the NLI dev part."""
    from training.nli.data import load  # the training split, so that the sets are exactly the ones held out

    entailer = entailer or Entailer()
    rows = load(data)
    sets = {"snli-test (heldout)": [r for r in rows if r["set"] == "snli-test"],
            "product heldout": [r for r in rows if r["set"] == "product" and r["split"] == "heldout"],
            "product dev": [r for r in rows if r["set"] == "product" and r["split"] == "dev"],
            "nli dev": [r for r in rows if r["set"] in ("mnli", "snli") and r["split"] == "dev"],
            "implicatives heldout": [r for r in rows if r["set"] == "implicatives" and r["split"] == "heldout"],
            "implicatives dev": [r for r in rows if r["set"] == "implicatives" and r["split"] == "dev"]}
    out = {name: accuracy(entailer, rs) for name, rs in sets.items()}
    product = [r for r in rows if r["set"] == "product" and r["split"] == "heldout"]
    if product:
        probs = entailer.probabilities([(r["premise"], r["hypothesis"]) for r in product])
        pred = probs.argmax(1)
        kinds: dict[str, list[bool]] = {}
        for r, p in zip(product, pred, strict=True):
            kinds.setdefault(r.get("kind") or "other", []).append(int(p) == r["label"])
        out["product heldout by kind"] = {k: {"n": len(v), "accuracy": round(100 * sum(v) / len(v), 1)}
                                          for k, v in sorted(kinds.items())}
    return out


def yesno_sets(folder: Path = YESNO_DOCS) -> dict[str, list[Document]]:
    """The news sets: each subfolder (or, for a flat folder, each file-name prefix before "-") is one set."""
    sets: dict[str, list[Document]] = {}
    for f in sorted(folder.rglob("*.txt")):
        name = f.parent.name if f.parent != folder else f.stem.split("-")[0]
        text = f.read_text(encoding="utf-8")
        title = text.strip().splitlines()[0].strip() if text.strip() else f.stem
        sets.setdefault(name, []).append(Document(f"{name}/{f.name}", title, text, source=str(f)))
    return sets


def eval_yesno(path: Path = YESNO, folder: Path = YESNO_DOCS, *, embedder: Embedder | None = None,
               config: AnswerConfig = DEFAULT_CONFIG, splits: Sequence[str] | None = None,
               entailer: Entailer | None = None) -> dict[str, Any]:
    """Ask each yes/no question of its news set (of ``splits``, default all); a source is right when its verdict
    (yes / no / not addressed) is the labelled one. Also: how often ``to_claim`` writes the labelled claim word
    for word (informative). ``entailer`` replaces the installed entailment model (a model being calibrated)."""
    items = [it for it in _jsonl(path) if splits is None or it.get("split", "dev") in splits]
    embedder = embedder or default_embedder()
    docs = [d for group in yesno_sets(folder).values() for d in group]
    tag = hashlib.sha1((embedder.fingerprint + "".join(d.text for d in docs)).encode()).hexdigest()[:10]
    index = build_index(docs, cache_dir() / "eval" / f"yesno-{tag}", embedder=embedder)
    if entailer is not None:
        index.entailer = entailer
    right: dict[str, list[bool]] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    cases = []
    for it in items:
        names = sorted(it["answers"])
        ids = {f"{it['corpus']}/{n}": n for n in names}
        ans = index.ask(it["question"], doc_ids=list(ids), config=config)
        got = {ids.get(v.doc_id, v.doc_id): v.verdict for v in ans.verdicts}
        for name in names:
            want, have = it["answers"][name], got.get(name, "not addressed")
            ok = want == have
            for key in ("all", it.get("split", "dev"), f"set {it['corpus']}"):
                right.setdefault(key, []).append(ok)
            if it.get("split") == "heldout":
                confusion[(want, have)] += 1
            if not ok:
                cases.append({"id": it["id"], "doc": name, "want": want, "got": have, "claim": to_claim(it["question"])})
    claims = [to_claim(it["question"]) == it.get("claim") for it in items if it.get("claim")]
    return {"questions": len(items),
            **{f"{k}_per_source_accuracy": round(100 * sum(v) / len(v), 1) for k, v in right.items()},
            **{f"{k}_sources": len(v) for k, v in right.items()},
            "heldout_confusion (want->got)": {f"{a}->{b}": n for (a, b), n in sorted(confusion.items())},
            "claims_written_as_labelled": round(100 * sum(claims) / max(1, len(claims)), 1),
            "errors": cases[:40]}


class _Calibrated(Entailer):
    """An entailment model whose calibration numbers ``overrides`` replaces (a cell of a grid being tried)."""

    def __init__(self, folder: Path, overrides: dict[str, float]) -> None:
        super().__init__(folder)
        self.overrides = overrides

    def calibration(self, key: str, default: float) -> float:
        return self.overrides[key] if key in self.overrides else super().calibration(key, default)


CONTRAST_GRID = tuple((t, m) for t in (0.40, 0.45, 0.50) for m in (0.0, 0.1))


def fit_yesno_contrast(model_dir: Path) -> dict[str, Any]:
    """Choose the threshold and margin of ``qa.answer.yesno.contrast`` (the claim and its opposite weighed
    together) on the dev questions only: the grid cell with the best per-source accuracy of the whole answer path
    (ties: the larger margin, then the larger threshold); written into ``calibration.json``."""
    import os

    scores = {}
    judge = _Calibrated(model_dir, {})  # one model for the whole grid: loaded once, its pairs' probabilities cached
    for t, m in CONTRAST_GRID:
        judge.overrides = {"yesno_contrast_threshold": t, "yesno_contrast_margin": m}
        scores[(t, m)] = eval_yesno(splits=("dev",), entailer=judge)["dev_per_source_accuracy"]
    (t, m), best = max(scores.items(), key=lambda kv: (kv[1], kv[0][1], kv[0][0]))
    fitted = {"yesno_contrast_threshold": t, "yesno_contrast_margin": m, "dev_yesno_contrast_accuracy": best}
    path = model_dir / "calibration.json"
    cal = json.loads(path.read_text(encoding="utf-8"))
    cal.update(fitted)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cal, indent=1) + "\n")
    os.replace(tmp, path)
    return {"grid": {f"{k[0]}/{k[1]}": v for k, v in scores.items()}, **fitted}
