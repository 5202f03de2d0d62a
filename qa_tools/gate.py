"""Fit and evaluate the found / not-found gate that combines the reader with the evidence's answerability.

The gate is a logistic regression over two numbers per question: the evidence's ``answerability`` log-odds
(``qa.answer.evidence``) and the reader's best margin over the top passages (``qa.answer.reader``). It is
fitted on **dev** questions only, in the open corpus the product faces:
- answerable: SQuAD v1.1 dev-slice questions (reserved articles excluded) against all 2,067 SQuAD paragraphs,
  and SQuAD 2.0 dev-half article-0 answerable questions against all dev-half paragraphs;
- not answerable: SciFact dev claims (off-topic), SQuAD v1.1 dev-slice questions asked without their own
  article, and SQuAD 2.0 article-0 unanswerables (written to look answerable).
The threshold is the highest that still answers ``min_answered`` of the answerable dev questions. The result
is written to the ``gate`` entry of the reader's ``calibration.json``; ``gate_verified`` is the same fit with
two more features, the entailment model's log P(entailment) and log P(contradiction) of the best reading's
claim against its sentence (``qa.answer.verify``), used when that model is installed (it records the model's
sha256: refit after retraining either model).

    python -m qa_tools.gate --data ../shared/data
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.config import DEFAULT_CONFIG, AnswerConfig
from qa.answer.evidence import gather
from qa.answer.entail import Entailer
from qa.answer.reader import Reader
from qa.answer.verify import FLOOR, verify
from qa.embed.registry import default_embedder
from qa.index import Index
from qa.ingest.chunking import ChunkingConfig
from qa.text.questions import is_yes_no
from qa.types import Document

from .answer_eval import fitted_articles, scifact_claims, squad_split
from .evaluation import index_for, load_squad
from .reading import RESERVED, sha256

logger = logging.getLogger(__name__)
MARGIN_FLOOR = -20.0
ANSWERABILITY_FLOOR = -30.0


def squad2_open(path: Path) -> tuple[list[Document], list[dict[str, Any]]]:
    """SQuAD 2.0 dev-half as one corpus (every paragraph a document) and its questions with their split
    (article 0: dev, odd articles: held out, even: trained on by the reader, not used here)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    docs, questions = [], []
    for i, article in enumerate(data):
        split = "dev" if i == 0 else "heldout" if i % 2 == 1 else "train"
        for p, para in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}#{p}"
            docs.append(Document(doc_id, article["title"].replace("_", " "), para["context"]))
            for qa in para["qas"]:
                answers = [] if qa.get("is_impossible") else [a["text"] for a in qa["answers"]]
                questions.append({"question": qa["question"], "doc_id": doc_id, "answers": answers, "split": split})
    return docs, questions


def features(index: Index, questions: Sequence[str], doc_filters: Sequence[Any] | None = None) -> np.ndarray:
    """[answerability, best reader margin, log P(entailment), log P(contradiction)] per question, the margin from
    the product's own reading (``qa.answer.evidence.read``: the ``read_top`` best passages, each focused to
    ``reader_focus`` word pieces), the last two from the entailment model's check of the best reading
    (``qa.answer.verify``; log 1 / log 0, floored, when there is no span)."""
    reader, entailer = index.reader, index.entailer
    assert reader is not None and reader.available and entailer is not None
    rows = []
    for i, q in enumerate(questions):
        ev = gather(index, q, config=DEFAULT_CONFIG, doc_ids=doc_filters[i] if doc_filters is not None else None)
        margin = ev.readings[0].margin if ev.readings else MARGIN_FLOOR
        best = ev.readings[0] if ev.readings and ev.readings[0].text.strip() else None
        checked = (math.log(FLOOR), math.log(FLOOR))
        if best is not None:
            v = ev.verification or verify(entailer, q, best, index.snapshot.documents[best.doc_id].document.text)
            checked = v.features()
        rows.append([max(ev.answerability, ANSWERABILITY_FLOOR), max(margin, MARGIN_FLOOR), *checked])
    return np.asarray(rows, dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, steps: int = 4000, lr: float = 0.2) -> np.ndarray:
    """Weighted logistic regression (intercept first) by gradient descent on standardised features."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    beta = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ beta)))
        beta -= lr * (z.T @ (w * (p - y))) / w.sum()
    # back to raw features
    raw = beta[1:] / sd
    return np.concatenate([[beta[0] - float(raw @ mu)], raw])


def cross_validated(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int | None = None) -> np.ndarray:
    """Out-of-fold log-odds of ``fit_logistic`` (unweighted): each example scored by a fit on the other folds,
    the folds by position (i % folds) or, with ``seed``, a seeded shuffle cut into ``folds`` parts."""
    if seed is None:
        position = np.arange(len(y)) % folds
        parts = [np.flatnonzero(position == f) for f in range(folds)]
    else:
        parts = np.array_split(np.random.default_rng(seed).permutation(len(y)), folds)
    scores = np.zeros(len(y))
    for test in parts:
        train = np.setdiff1d(np.arange(len(y)), test)
        beta = fit_logistic(x[train], y[train].astype(float), np.ones(len(train)))
        scores[test] = beta[0] + x[test] @ beta[1:]
    return scores


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """P(a positive scores above a negative), ties counting half (nan when either side is empty)."""
    if not len(positive) or not len(negative):
        return float("nan")
    p, n = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float((p > n).mean() + 0.5 * (p == n).mean())


def sets(data: Path, split: str, limit: int, seed: int = 7) -> dict[str, tuple[Index, list[str], list[Any] | None, bool]]:
    """The question sets of one split: name -> (index, questions, per-question document filter, answerable)."""
    rng = random.Random(seed)
    embedder = default_embedder()
    docs, questions = load_squad(data / "squad-v1.1" / "dev-v1.1.json")
    squad = index_for("squad-v1.1", docs, None, embedder, ChunkingConfig(), progress=False)
    fitted = fitted_articles(data)
    qs = [q for q in squad_split(questions, "dev" if split == "dev" else "test", fitted)
          if q["doc_id"].rsplit("#", 1)[0] not in RESERVED]
    rng.shuffle(qs)
    qs = qs[:limit]
    by_article: dict[str, list[str]] = {}
    for d in docs:
        by_article.setdefault(d.id.rsplit("#", 1)[0], []).append(d.id)
    others = [[d for a, ids in by_article.items() if a != q["doc_id"].rsplit("#", 1)[0] for d in ids]
              for q in qs[: limit // 2]]
    claims = scifact_claims(data / "beir-scifact" / "queries.jsonl", "dev" if split == "dev" else "test")
    rng.shuffle(claims)
    d2, q2 = squad2_open(data / "reading-comprehension" / "squad2-dev-half" / "dev-v2.0-15-articles.json")
    squad2 = index_for("squad2-devhalf", d2, None, embedder, ChunkingConfig(), progress=False)
    # held out: not the articles whose sentences the entailment model was trained or tuned on (the check reads it)
    q2 = [q for q in q2 if q["split"] == split and (split == "dev" or q["doc_id"].rsplit("#", 1)[0] not in fitted)]
    rng.shuffle(q2)
    q2 = q2[:limit]
    return {
        "squad": (squad, [q["question"] for q in qs], None, True),
        "offtopic": (squad, claims[: limit // 2], None, False),
        "other_article": (squad, [q["question"] for q in qs[: limit // 2]], others, False),
        "squad2_answerable": (squad2, [q["question"] for q in q2 if q["answers"]], None, True),
        "squad2_unanswerable": (squad2, [q["question"] for q in q2 if not q["answers"]], None, False),
    }


def fit_gate(data: Path, model: Path, limit: int = 800, min_answered: float = 0.93) -> dict[str, Any]:
    feats: dict[str, np.ndarray] = {}
    labels: dict[str, bool] = {}
    reader = Reader(model)  # the readings of the model being fitted, wherever it lies (not the shipped one)
    for name, (index, questions, filters, answerable) in sets(data, "dev", limit).items():
        index.reader = reader
        # a yes/no question is not the gate's to decide (the reader does not read it: qa.answer.evidence.read)
        keep = [i for i, q in enumerate(questions) if not is_yes_no(q)]
        questions, filters = [questions[i] for i in keep], [filters[i] for i in keep] if filters is not None else None
        logger.info("%s: %d dev questions", name, len(questions))
        feats[name], labels[name] = features(index, questions, filters), answerable
    cal_path = model / "calibration.json"
    cal = json.loads(cal_path.read_text(encoding="utf-8"))
    cal["gate"] = _fit(feats, labels, GATE_FEATURES, min_answered)
    cal["gate_verified"] = _fit(feats, labels, GATE_FEATURES + VERIFIED_FEATURES, min_answered)
    cal["gate_verified"]["entailment_model_sha256"] = sha256(Entailer().folder / "model.onnx")
    cal_path.write_text(json.dumps(cal, indent=1) + "\n", encoding="utf-8")
    return {"gate": cal["gate"], "gate_verified": cal["gate_verified"]}


GATE_FEATURES = ("answerability", "reader_margin")  # the columns of ``features``, in order
VERIFIED_FEATURES = ("log_p_entailment", "log_p_contradiction")


def _fit(feats: dict[str, np.ndarray], labels: dict[str, bool], names: Sequence[str],
         min_answered: float) -> dict[str, Any]:
    """A gate over the first ``len(names)`` features; its threshold answers ``min_answered`` of the answerable."""
    feats = {n: f[:, :len(names)] for n, f in feats.items()}
    x = np.vstack(list(feats.values()))
    y = np.concatenate([np.full(len(f), float(labels[n])) for n, f in feats.items()])
    positives = sum(len(f) for n, f in feats.items() if labels[n])
    n_neg_sets = sum(not v for v in labels.values())
    # every negative set weighs as much as the others together (all positives weigh as much as all negatives)
    w = np.concatenate([np.full(len(f), 1.0 if labels[n] else positives / (n_neg_sets * len(f)))
                        for n, f in feats.items()])
    beta = fit_logistic(x, y, w)
    logit = np.hstack([np.ones((len(x), 1)), x]) @ beta
    pos_logits = np.sort(logit[y == 1])
    threshold = float(pos_logits[int(math.floor((1 - min_answered) * len(pos_logits)))])
    return {"features": ["intercept", *names], "weights": [round(float(b), 6) for b in beta],
            "threshold": round(threshold, 6), "margin_floor": MARGIN_FLOOR,
            "answerability_floor": ANSWERABILITY_FLOOR, "min_answered": min_answered,
            "reading": {"read_top": DEFAULT_CONFIG.read_top, "reader_focus": DEFAULT_CONFIG.reader_focus},
            "fitted_on": {n: len(f) for n, f in feats.items()},
            "dev": {n: round(float(np.mean((np.hstack([np.ones((len(f), 1)), f]) @ beta >= threshold) == labels[n])), 4)
                    for n, f in feats.items()}}


def evaluate(data: Path, split: str = "heldout", limit: int = 1000, config: AnswerConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """Share of each set the product answers (``Answer.found``) with the shipped gate, on ``split``."""
    out: dict[str, Any] = {}
    for name, (index, questions, filters, answerable) in sets(data, split, limit).items():
        found = [index.ask(q, doc_ids=filters[i] if filters is not None else None, config=config).found
                 for i, q in enumerate(questions)]
        rate = float(np.mean(found)) if found else 0.0
        out[name] = {"n": len(found), "answered" if answerable else "abstained": round(rate if answerable else 1 - rate, 4)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "qa" / "models" / "reader")
    ap.add_argument("--limit", type=int, default=800)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    Reader(args.model).warm_up()
    print(json.dumps(fit_gate(args.data, args.model, args.limit), indent=1))


if __name__ == "__main__":
    main()
