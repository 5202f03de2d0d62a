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
               config: AnswerConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """Ask each yes/no question of its news set; a source is right when its verdict (yes / no / not addressed)
    is the labelled one. Also: how often ``to_claim`` writes the labelled claim word for word (informative)."""
    items = _jsonl(path)
    embedder = embedder or default_embedder()
    docs = [d for group in yesno_sets(folder).values() for d in group]
    tag = hashlib.sha1((embedder.fingerprint + "".join(d.text for d in docs)).encode()).hexdigest()[:10]
    index = build_index(docs, cache_dir() / "eval" / f"yesno-{tag}", embedder=embedder)
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
            for key in ("all", it.get("split", "dev")):
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


def _verdict_probs(split: str, path: Path = YESNO, folder: Path = YESNO_DOCS, embedder: Embedder | None = None,
                   per_document: int = 4, *, entailer: Entailer | None = None) -> list[tuple[str, np.ndarray]]:
    """(labelled answer, probabilities [n, 3] of the document's best candidate sentences against the claim) per
    source of the ``split`` questions, as ``qa.answer.yesno.verdicts`` sees them (by ``entailer``, else the
    index's own model)."""
    from qa.answer.evidence import gather

    items = [it for it in _jsonl(path) if it.get("split", "dev") == split]
    embedder = embedder or default_embedder()
    docs = [d for group in yesno_sets(folder).values() for d in group]
    tag = hashlib.sha1((embedder.fingerprint + "".join(d.text for d in docs)).encode()).hexdigest()[:10]
    index = build_index(docs, cache_dir() / "eval" / f"yesno-{tag}", embedder=embedder)
    view = index.pinned()
    judge = entailer or index.entailer
    out = []
    for it in items:
        ids = {f"{it['corpus']}/{n}": n for n in it["answers"]}
        ev = gather(view, it["question"], k=5, doc_ids=list(ids))
        claim = to_claim(it["question"]) or it["question"]
        for doc_id, name in ids.items():
            sents = [s for s in ev.sentences if s.doc_id == doc_id][:per_document]
            probs = judge.probabilities([(s.text, claim) for s in sents]) if sents else np.zeros((0, 3))
            out.append((it["answers"][name], probs))
    return out


def fit_yesno(model_dir: Path, precision: float = 0.85) -> dict[str, Any]:
    """Choose the yes/no thresholds on the dev questions only: the lowest entailment probability at which the
    "yes" verdicts are at least ``precision`` right, and the same for contradiction and "no" (0.99, i.e. no
    "no" verdicts, when none reaches it); written into ``calibration.json``."""
    import os

    rows = _verdict_probs("dev", entailer=Entailer(model_dir))  # the model being calibrated, not the installed one
    fitted: dict[str, Any] = {}
    for key, col, label in (("yesno_entail_threshold", 0, "yes"), ("yesno_contradict_threshold", 2, "no")):
        choice: tuple[float, float | None, int] = (0.99, None, 0)
        for t in np.arange(0.3, 0.951, 0.05):
            # as qa.answer.yesno decides: the sentence most in favour must lean that way itself
            said = [want == label for want, p in rows if len(p) and (best := p[int(p[:, col].argmax())])[col] >= t
                    and best[col] > best[2 - col]]
            if said and np.mean(said) >= precision:
                choice = (round(float(t), 2), round(float(np.mean(said)), 3), len(said))
                break
        fitted[key] = choice[0]
        fitted[f"dev_{label}_precision"] = choice[1]
        fitted[f"dev_{label}_verdicts"] = choice[2]
    path = model_dir / "calibration.json"
    cal = json.loads(path.read_text(encoding="utf-8"))
    cal.update(fitted, yesno_dev_sources=len(rows), yesno_target_precision=precision)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cal, indent=1) + "\n")
    os.replace(tmp, path)
    return fitted
