"""Refit the quotes-mode models on the SQuAD v1.1 dev slice: the sentence scorer and the answerability model,
written to qa/answer/data/sentence_model.json and qa/answer/data/answerability.json (read by qa.answer.fitted).

    python scripts/fit_answering.py [--squad ../shared/data/squad-v1.1] [--scifact ../shared/data/beir-scifact]

Dev slice = questions of SQuAD articles i % 5 == 0 (``qa_tools.answer_eval.squad_split``), SciFact claims with
``_id`` % 5 == 0, and dev questions asked without their own article; the report
(``python -m qa eval squad-answers``) uses the other articles and claims. Needs scikit-learn (installed
with sentence-transformers). Sentence and query vectors are cached under ~/.cache/qa/eval/.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answer.config import DEFAULT_CONFIG  # noqa: E402
from qa.answer.evidence import ANSWERABILITY_FEATURES, gather  # noqa: E402
from qa.answer.fitted import DATA  # noqa: E402
from qa.answer.scoring import FEATURES, feature_matrix  # noqa: E402
from qa.embed.registry import default_embedder  # noqa: E402
from qa.index import ChunkingConfig  # noqa: E402
from qa_tools.answer_eval import cached_vectors, contains_answer, scifact_claims, squad_split, warm_sentences  # noqa: E402
from qa_tools.evaluation import index_for, load_squad  # noqa: E402

HIDDEN = 32


def write_model(path: Path, mean: np.ndarray, scale: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
                b2: float, note: str) -> None:
    # fold the standardisation into the first layer: relu(((x - mean) / scale) @ w1 + b1)
    w1f = w1 / scale[:, None]
    b1f = b1 - (mean / scale) @ w1
    doc = {
        "what": "the quotes-mode sentence scorer: log-odds that a candidate sentence holds the answer",
        "architecture": "logit = relu(x @ W1 + B1) @ W2 + B2; x = the features below, in this order "
                        "(standardisation folded into W1, B1)",
        "features": list(FEATURES),
        "fitted_on": f"SQuAD v1.1 dev slice (articles i % 5 == 0): {note}; label: the sentence contains a gold answer",
        "fitted_by": f"scripts/fit_answering.py (sklearn MLPClassifier, {HIDDEN} hidden units, alpha 1e-3, random_state 0)",
        "W1": np.round(w1f, 5).tolist(), "B1": np.round(b1f, 5).tolist(), "W2": np.round(w2, 5).tolist(),
        "B2": round(b2, 5),
    }
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def write_answerability(path: Path, v: np.ndarray) -> None:
    doc = {
        "what": "answerability: log-odds that the documents answer the question, from the evidence of its best sentences",
        "architecture": "log_odds = intercept + weights @ x; AnswerConfig.threshold is on this scale",
        "features": list(ANSWERABILITY_FEATURES),
        "fitted_on": "SQuAD v1.1 dev slice (answerable) against SciFact dev claims (_id % 5 == 0) and SQuAD dev "
                     "questions asked without their own article (not answerable)",
        "fitted_by": "scripts/fit_answering.py (sklearn LogisticRegression, C=10, class_weight=balanced)",
        "intercept": round(float(v[0]), 3), "weights": np.round(v[1:], 3).tolist(),
    }
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", default="../shared/data/squad-v1.1")
    ap.add_argument("--scifact", default="../shared/data/beir-scifact")
    ap.add_argument("--hard", type=int, default=400, help="dev questions asked without their own article")
    ap.add_argument("--answered", type=float, default=0.97, help="share of dev questions to answer")
    args = ap.parse_args()
    docs, questions = load_squad(Path(args.squad) / "dev-v1.1.json")
    index = index_for("squad-v1.1", docs, None, default_embedder(), ChunkingConfig(), progress=True)
    warm_sentences(index, "squad-v1.1", progress=True)
    wide = replace(DEFAULT_CONFIG, embed_top=10**6)  # every candidate embedded (all cached)
    dev = squad_split(questions, "dev")
    qv = cached_vectors([q["question"] for q in dev], index.embedder, "squad-v1.1", query=True)

    rows, labels, per_question = [], [], []
    for i, q in enumerate(dev):
        ev = gather(index, q["question"], k=5, config=wide, query_vector=qv[i])
        x = feature_matrix(q["question"], ev.sentences)
        rows.append(x)
        labels.extend(contains_answer(s.text, q["answers"]) for s in ev.sentences)
        per_question.append(x)
    X, y = np.concatenate(rows), np.array(labels)
    scaler = StandardScaler().fit(X)
    mlp = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-3, max_iter=300, random_state=0,
                        early_stopping=True).fit(scaler.transform(X), y)
    w1, w2 = mlp.coefs_
    b1, b2 = mlp.intercepts_
    note = f"{len(dev)} dev questions, {len(y)} candidate sentences, {int(y.sum())} with a gold answer"
    write_model(DATA / "sentence_model.json", scaler.mean_, scaler.scale_, w1, b1, w2[:, 0], float(b2[0]), note)
    print("wrote qa/answer/data/sentence_model.json:", note)

    def score(x: np.ndarray) -> np.ndarray:
        h = np.maximum(0.0, scaler.transform(x) @ w1 + b1)
        return h @ w2[:, 0] + b2[0]

    def evidence_features(x: np.ndarray) -> list[float]:  # must match ANSWERABILITY_FEATURES (qa.answer.evidence)
        if not len(x):
            return [-20.0, 0.0, 0.0, 0.0, 0.0]
        return [float(score(x).max()), x[:, 0].max(), x[:, 1].max(), x[:, 2].max(), x[:, 3].max()]

    pos = np.array([evidence_features(x) for x in per_question])
    claims = scifact_claims(Path(args.scifact) / "queries.jsonl", "dev")
    cv = cached_vectors(claims, index.embedder, "scifact-claims", query=True)
    off = np.array([evidence_features(feature_matrix(c, gather(index, c, k=5, config=wide, query_vector=cv[i]).sentences))
                    for i, c in enumerate(claims)])
    by_article: dict[str, set[str]] = {}
    for d in docs:
        by_article.setdefault(d.id.rsplit("#", 1)[0], set()).add(d.id)
    hard = []
    for i in list(range(0, len(dev), max(1, len(dev) // args.hard)))[: args.hard]:
        q = dev[i]
        others = [d.id for d in docs if d.id not in by_article[q["doc_id"].rsplit("#", 1)[0]]]
        ev = gather(index, q["question"], k=5, config=wide, query_vector=qv[i], doc_ids=others)
        hard.append(evidence_features(feature_matrix(q["question"], ev.sentences)))
    neg = np.concatenate([off, np.array(hard)])
    ab = LogisticRegression(C=10, max_iter=5000, class_weight="balanced").fit(
        np.concatenate([pos, neg]), np.r_[np.ones(len(pos)), np.zeros(len(neg))])
    v = np.concatenate([ab.intercept_, ab.coef_[0]])
    write_answerability(DATA / "answerability.json", v)
    print("wrote qa/answer/data/answerability.json:", np.round(v, 3).tolist())
    lp, lo, lh = (v[0] + a @ v[1:] for a in (pos, off, np.array(hard)))
    threshold = float(np.percentile(lp, 100 * (1 - args.answered)))
    print(f"threshold = {threshold:.2f}: dev answered {np.mean(lp >= threshold):.3f}, off-topic abstained "
          f"{np.mean(lo < threshold):.3f}, other-article abstained {np.mean(lh < threshold):.3f}")


if __name__ == "__main__":
    main()
