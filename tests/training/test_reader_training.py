"""Smoke training of the reader: a few steps on a handful of examples, the loss falls, the export loads and
gives verbatim spans; the window/label/decoding helpers are checked on their own."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.answer.reader import windows as F

CONTEXT = ("The lighthouse on Karst Point was built in 1872 by the harbour board. It is 31 metres tall and its "
           "lamp can be seen from 40 kilometres away. The keeper, Anna Holm, lived there until 1931.")
QUESTIONS = [("When was the lighthouse built?", "1872"), ("How tall is the lighthouse?", "31 metres"),
             ("Who was the keeper?", "Anna Holm"), ("Who built the lighthouse?", "the harbour board"),
             ("What is the capital of Peru?", None)]


def _examples(path: Path) -> Path:
    rows = []
    for split in ("train", "dev", "heldout"):
        for i, (q, a) in enumerate(QUESTIONS):
            answers = [{"text": a, "start": CONTEXT.index(a)}] if a else []
            rows.append({"source": "squad2-train" if split == "train" else "squad2-devhalf", "article": "Karst",
                         "article_index": 0, "paragraph": "Karst#0", "id": f"{split}{i}", "question": q,
                         "context": CONTEXT, "answers": answers, "kind": "gold" if a else "unanswerable",
                         "split": split})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_windows_cover_the_context_and_keep_offsets() -> None:
    long = " ".join([CONTEXT] * 12)
    wins = F.windows("Who was the keeper?", long, max_len=64, stride=16)
    assert len(wins) > 3
    for w in wins:
        assert len(w.input_ids) <= 64
        assert w.input_ids[0] == F.tokenizer().token_to_id("[CLS]")
        spans = w.offsets[w.first:w.last + 1]
        assert (spans >= 0).all() and (np.diff(spans[:, 0]) > 0).all()
    assert wins[0].offsets[wins[0].first, 0] == 0
    assert wins[-1].offsets[wins[-1].last, 1] == len(long)
    # consecutive windows share `stride` tokens
    assert wins[1].offsets[wins[1].first, 0] < wins[0].offsets[wins[0].last, 1]


def test_label_and_best_span_round_trip() -> None:
    start = CONTEXT.index("Anna Holm")
    (w,) = F.windows("Who was the keeper?", CONTEXT)
    s, e = F.label(w, start, start + len("Anna Holm"))
    assert 0 < s <= e
    logits_s = np.full(len(w.input_ids), -5.0)
    logits_e = np.full(len(w.input_ids), -5.0)
    logits_s[s], logits_e[e] = 5.0, 5.0
    span = F.best_span(w, logits_s, logits_e)
    assert span is not None and CONTEXT[span.start:span.end] == "Anna Holm"
    assert span.score - span.null == pytest.approx(20.0)
    # an answer outside the window is labelled as "no answer" (position 0)
    w0 = F.windows("Who was the keeper?", CONTEXT, max_len=24, stride=4)[0]
    assert F.label(w0, start, start + 9) == (0, 0)


@pytest.mark.slow
def test_smoke_training_loss_falls_and_export_loads(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from training.reader import evaluate, export, train

    examples = _examples(tmp_path / "examples.jsonl")
    args = train.parser().parse_args(["--examples", str(examples), "--out", str(tmp_path / "run"), "--epochs", "12",
                                      "--batch-size", "5", "--lr", "3e-4", "--warmup", "0.05", "--eval-every", "100",
                                      "--eval-size", "4", "--scale", "1"])
    state = train.train(args)
    losses = state["losses"]
    assert len(losses) == 12
    assert np.mean(losses[-3:]) < 0.95 * np.mean(losses[:3])  # measured: 3.94 -> 3.59 in 12 steps
    model = export.export(tmp_path / "run" / "final.safetensors", tmp_path / "model")
    assert model.stat().st_size < 25e6
    graph = json.loads((tmp_path / "model" / "graph.json").read_text())
    assert graph["embedding_table_sha256"] == export.embedding_table_sha256()
    (tmp_path / "model" / "calibration.json").write_text('{"margin_threshold": 0, "logistic": {"a": 1, "b": 0}}')
    preds = evaluate.predict(evaluate.load_split("train", examples)[:4], evaluate.onnx_runner(tmp_path / "model"))
    for p in preds:
        assert p.text == CONTEXT[p.start:p.end]


def test_a_dropped_answer_negative_keeps_the_topic_but_not_the_answer() -> None:
    from training.reader.dropped import drop_answer

    context = CONTEXT + " The lamp was electrified in 1950, and the tower was painted red and white in 1962."
    start = context.index("Anna Holm")
    ex = {"id": "k", "question": "Who was the keeper?", "context": context, "kind": "gold",
          "answers": [{"text": "Anna Holm", "start": start}]}
    neg = drop_answer(ex)
    assert neg is not None and neg["answers"] == [] and neg["kind"] == "dropped"
    assert "Anna Holm" not in neg["context"] and "1872" in neg["context"] and "31 metres" in neg["context"]
    # an answer stated twice: every sentence holding it goes, and too little left -> no example
    twice = context + " Anna Holm also kept a diary."
    assert drop_answer({**ex, "context": twice})["context"].count("Anna") == 0
    short = {**ex, "context": "The keeper was Anna Holm. She lived there.", "answers": [{"text": "Anna Holm", "start": 15}]}
    assert drop_answer(short) is None


def test_a_sibling_negative_is_the_best_matching_paragraph_of_the_article_without_the_answer() -> None:
    import random

    from training.reader.siblings import sibling_negatives

    paragraphs = {
        "Karst#0": CONTEXT,
        "Karst#1": "The keeper's cottage beside the lighthouse was restored by the harbour board in 1990.",
        "Karst#2": "Anna Holm, the keeper, wrote a diary about the lighthouse that was published in 1935.",
        "Karst#3": "Karst Point is a rocky headland with a small fishing harbour.",
    }
    rows = [{"source": "squad2-train", "article": "Karst", "paragraph": pid, "id": pid, "question": "Who was the keeper?",
             "context": text, "kind": "gold", "split": "train",
             "answers": [{"text": "Anna Holm", "start": text.index("Anna Holm")}] if "Anna Holm" in text else []}
            for pid, text in paragraphs.items()]
    rows = [r for r in rows if r["answers"]] + [{**r, "kind": "unanswerable"} for r in rows if not r["answers"]]
    negs = sibling_negatives(rows, 5, random.Random(0))
    # the best word match that does not hold the answer: "the keeper's cottage", not the diary of Anna Holm
    assert negs and all(n["answers"] == [] and n["kind"] == "sibling" and "Anna Holm" not in n["context"] for n in negs)
    assert {n["paragraph"] for n in negs} == {"Karst#1"}
    other = [{**r, "source": "shifts-reddit"} for r in rows]  # unrelated comments: no siblings
    assert sibling_negatives(other, 5, random.Random(0)) == []


def test_the_learning_curves_auc_counts_ties_half() -> None:
    from training.reader.curve import auc

    assert auc([3.0, 2.0], [1.0, 0.0]) == 1.0
    assert auc([1.0], [1.0]) == 0.5
    assert auc([0.0, 2.0], [1.0]) == 0.5


def test_a_perturbed_question_asks_for_a_name_or_year_its_paragraph_does_not_hold() -> None:
    import random

    from training.reader.perturbed import names_in, perturb

    context = ("The lighthouse at Vinga was built in 1872 by the engineer Anna Holm. In 1950 the lamp was "
               "electrified, and the keeper Lars Berg moved to Marstrand.")
    ex = {"id": "q", "question": "Who built the lighthouse at Vinga in 1872?", "context": context, "kind": "gold",
          "answers": [{"text": "Anna Holm", "start": context.index("Anna Holm")}]}
    names = ["Anna Holm", "Gothenburg", "Lars Berg", "Marstrand", "Vinga"]
    assert set(names_in(context)) >= {"Vinga", "Anna Holm", "Lars Berg", "Marstrand"}
    seen = set()
    for seed in range(20):
        neg = perturb(ex, names, random.Random(seed))
        assert neg is not None and neg["answers"] == [] and neg["kind"] == "perturbed" and neg["context"] == context
        seen.add(neg["question"])
    # either the year moved (to one the paragraph does not hold) or Vinga became Gothenburg (the only
    # one-word name of the article absent from the paragraph)
    assert "Who built the lighthouse at Gothenburg in 1872?" in seen
    years = {q.split()[-1].rstrip("?") for q in seen if "Vinga" in q}
    assert years and all(y.isdigit() and y not in context for y in years)
    assert perturb({**ex, "question": "who built it?"}, names, random.Random(0)) is None
