"""Schema and consistency checks of the hand-labelled data in tests/data/ that the entailment model is trained,
tuned and evaluated on (issue 16). Nothing here runs a model.

Files:
- ``nli_product.jsonl``: premise (one sentence, occasionally two, verbatim from a SQuAD v1.1 dev article that is not
  reserved, TyDi QA English, SQuADShifts, or invented news-like text) / hypothesis (a question turned into a claim,
  a claim a written answer might make, or another source's sentence on the same point) / label. Split by source:
  every premise and every source (article, review, TyDi passage, invented topic) is in exactly one of
  train / dev / heldout.
- ``yesno/<set>/*.txt`` (title line, blank line, 150-400 words of invented news or personal papers: the 2-3 files
  of a news set report the same events and disagree on some points; those of a personal set - a lease, meeting notes,
  a letter - are about different things, and a question about one must get "not addressed" from the others) and ``yesno_questions.jsonl``: per question, an answer for every file of
  its set ("yes" / "no" / "not addressed") and, for every yes/no, the verbatim sentence that decides it. Split by set.
- ``conflict_pairs_more.jsonl`` (the format of ``conflict_pairs.jsonl``) and ``claim_support_more.jsonl`` (the format
  of ``claim_support.jsonl`` plus ``split``): more labelled pairs and claims, dev / heldout.

Labelling conventions (the same in every file):
- A hypothesis / claim is entailed (yes, supported) when a careful reader would say the passage states it or plainly
  implies it (paraphrase, arithmetic on its numbers, "not X" from "Y" when X and Y exclude each other).
- Attribution that the passage does not dispute counts as the passage saying it ("police said the paintings were
  recovered" entails "the paintings were recovered"). A point the passage only reports as contested ("the opposition
  claims ...", "schools claim ...") or hedges ("may", "probably", "cannot rule out") does not entail the unhedged
  statement: neutral / not addressed / unsupported.
- Contradiction (no, not supported) when both cannot be true of the same thing: negation, antonym ("unhurt" vs
  "wounded"), another number, date, place or person for the same fact.
- Neutral / not addressed: the same topic, but the point is not stated either way. The most common real case.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
NLI = DATA / "nli_product.jsonl"
YESNO_DOCS = DATA / "yesno"
YESNO = DATA / "yesno_questions.jsonl"
PAIRS, PAIRS_MORE = DATA / "conflict_pairs.jsonl", DATA / "conflict_pairs_more.jsonl"
CLAIMS, CLAIMS_MORE = DATA / "claim_support.jsonl", DATA / "claim_support_more.jsonl"

NLI_LABELS = {"entailment", "neutral", "contradiction"}
NLI_SPLITS = {"train", "dev", "heldout"}
EVAL_SPLITS = {"dev", "heldout"}
ANSWERS = {"yes", "no", "not addressed"}
# Never drawn on: the six reserved SQuAD v1.1 articles (external product check), NewsQA and MultiHop-RAG (held out)
RESERVED = {"Normans", "Rhine", "Nikola_Tesla", "Amazon_rainforest", "Kenya", "Victoria_and_Albert_Museum"}
SOURCE = re.compile(r"^(squad1:[^:]+|tydi:(train:)?[^:]+|shifts:(new_wiki|amazon_reviews|reddit):[0-9a-f]+|own:[a-z0-9-]+)$")
AUXILIARIES = {"was", "were", "is", "are", "did", "do", "does", "has", "have", "had", "can", "will"}


def load(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:  # pragma: no cover - only on a broken file
                raise AssertionError(f"{path.name}:{n}: not JSON ({e})") from e
    return rows


def text_fields(row: dict[str, Any], *names: str) -> None:
    for name in names:
        assert isinstance(row[name], str) and row[name].strip() == row[name] and row[name], (row["id"], name)


def unique_ids(*rows: list[dict[str, Any]]) -> None:
    ids = Counter(r["id"] for rs in rows for r in rs)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"


# ----------------------------------------------------------------------------------------------- NLI pairs


@pytest.fixture(scope="module")
def nli() -> list[dict[str, Any]]:
    return load(NLI)


def test_nli_rows_follow_the_schema(nli: list[dict[str, Any]]) -> None:
    fields = {"id", "premise", "hypothesis", "label", "split", "source", "kind"}
    for r in nli:
        assert set(r) == fields, r.get("id")
        text_fields(r, "id", "premise", "hypothesis", "source", "kind")
        assert r["label"] in NLI_LABELS and r["split"] in NLI_SPLITS, r["id"]
        assert SOURCE.match(r["source"]), r["source"]
        assert r["source"].split(":", 1)[1] not in RESERVED, r["source"]
        assert "newsqa" not in r["source"].lower() and "multihop" not in r["source"].lower(), r["source"]
        assert r["premise"] != r["hypothesis"], r["id"]
    unique_ids(nli)
    assert len({(r["premise"], r["hypothesis"]) for r in nli}) == len(nli), "a pair is there twice"


def test_nli_premises_and_sources_never_cross_splits(nli: list[dict[str, Any]]) -> None:
    for key in ("premise", "source"):
        splits = defaultdict(set)
        for r in nli:
            splits[r[key]].add(r["split"])
        assert not {k: s for k, s in splits.items() if len(s) > 1}, f"a {key} is in two splits"


def test_nli_size_splits_and_labels_are_balanced(nli: list[dict[str, Any]]) -> None:
    assert len(nli) >= 450
    # the held-out and dev parts keep their size as training pairs are added (206 / 106 when first written)
    n = Counter(r["split"] for r in nli)
    assert n["heldout"] >= 200 and n["dev"] >= 100 and n["heldout"] / len(nli) >= 0.2 and n["train"] >= n["heldout"], n
    for split in NLI_SPLITS:
        labels = Counter(r["label"] for r in nli if r["split"] == split)
        total = sum(labels.values())
        assert all(0.25 <= labels[lab] / total <= 0.42 for lab in NLI_LABELS), (split, labels)


# ----------------------------------------------------------------------------------------------- yes/no


def documents() -> dict[str, dict[str, str]]:
    """{set: {file name: text}}"""
    return {d.name: {f.name: f.read_text(encoding="utf-8") for f in sorted(d.glob("*.txt"))}
            for d in sorted(YESNO_DOCS.iterdir()) if d.is_dir()}


def test_yesno_documents_are_short_titled_news_in_sets_of_two_or_three() -> None:
    sets = documents()
    assert sum(len(files) for files in sets.values()) >= 6
    names = [name for files in sets.values() for name in files]
    assert len(names) == len(set(names)), "file names must be unique across sets (they are the document ids)"
    for name, files in sets.items():
        assert 2 <= len(files) <= 3, name
        for fname, text in files.items():
            title, blank, *body = text.split("\n")
            assert title.strip() and not blank.strip(), fname
            assert 150 <= len(" ".join(body).split()) <= 400, fname


def check_question(q: dict[str, Any], files: dict[str, str]) -> None:
    text_fields(q, "id", "corpus", "question", "claim")
    assert q["question"].split()[0].lower() in AUXILIARIES and q["question"].endswith("?"), q["id"]
    assert q["claim"].endswith(".") and not q["claim"].endswith("?"), q["id"]
    assert set(q["answers"]) == set(files), (q["id"], "every document of the set needs an answer")
    assert set(q["answers"].values()) <= ANSWERS, q["id"]
    decided = {f for f, a in q["answers"].items() if a != "not addressed"}
    assert set(q["evidence"]) == decided, (q["id"], "evidence for exactly the yes/no answers")
    for fname, sentence in q["evidence"].items():
        assert sentence.strip() and sentence in files[fname], (q["id"], fname, "evidence not verbatim")


def test_yesno_questions_follow_the_schema_and_quote_their_documents() -> None:
    questions, sets = load(YESNO), documents()
    fields = {"id", "corpus", "question", "claim", "answers", "evidence", "split"}
    for q in questions:
        assert set(q) == fields, q.get("id")
        assert q["corpus"] in sets and q["split"] in EVAL_SPLITS, q["id"]
        check_question(q, sets[q["corpus"]])
    unique_ids(questions)
    assert len({(q["corpus"], q["question"]) for q in questions}) == len(questions)


def test_yesno_split_by_set_with_enough_heldout() -> None:
    questions = load(YESNO)
    splits = defaultdict(set)
    for q in questions:
        splits[q["corpus"]].add(q["split"])
    assert all(len(s) == 1 for s in splits.values()), "a set is in two splits"
    assert set(splits) == set(documents()), "every set has questions"
    n = Counter(q["split"] for q in questions)
    assert len(questions) >= 70 and n["heldout"] >= 40 and 0.3 <= n["dev"] / len(questions) <= 0.45, n


# ----------------------------------------------------------------------------------------------- conflicts, claims


def test_conflict_pairs_more_has_the_format_of_conflict_pairs() -> None:
    old, new = load(PAIRS), load(PAIRS_MORE)
    fields = set(old[0])
    for p in new:
        assert set(p) == fields, p.get("id")
        text_fields(p, "id", "question", "kind")
        for side in ("a", "b"):
            assert set(p[side]) == {"title", "text"}, p["id"]
            text_fields(p[side] | {"id": p["id"]}, "title", "text")
        assert isinstance(p["conflict"], bool) and p["split"] in EVAL_SPLITS, p["id"]
    unique_ids(old, new)
    assert len(new) >= 60
    n = Counter(p["split"] for p in new)
    assert 0.35 <= n["dev"] / len(new) <= 0.45, n
    assert 0.4 <= sum(p["conflict"] for p in new) / len(new) <= 0.6


def test_claim_support_more_has_the_format_of_claim_support_plus_split() -> None:
    old, new = load(CLAIMS), load(CLAIMS_MORE)
    fields = set(old[0]) | {"split"}
    for c in new:
        assert set(c) == fields, c.get("id")
        text_fields(c, "id", "claim", "kind")
        assert c["quotes"] and all(isinstance(q, str) and q.strip() for q in c["quotes"]), c["id"]
        assert isinstance(c["supported"], bool) and c["split"] in EVAL_SPLITS, c["id"]
    unique_ids(old, new)
    assert len(new) >= 80
    n = Counter(c["split"] for c in new)
    assert 0.35 <= n["dev"] / len(new) <= 0.45, n
    assert 0.4 <= sum(c["supported"] for c in new) / len(new) <= 0.6


def test_no_training_premise_reappears_in_the_evaluation_sets(nli: list[dict[str, Any]]) -> None:
    """What the model is trained on (NLI train premises) is not quoted by the sets its figures are reported on."""
    train = {r["premise"] for r in nli if r["split"] == "train"}
    texts = [d for files in documents().values() for d in files.values()]
    texts += [p[s]["text"] for p in load(PAIRS_MORE) for s in ("a", "b")]
    texts += [q for c in load(CLAIMS_MORE) for q in c["quotes"]]
    texts += [r["premise"] for r in nli if r["split"] != "train"]
    assert not [p for p in train if any(p in t or t in p for t in texts)]


# ------------------------------------------------------------------------- more product-like train pairs

NLI_MORE = DATA / "nli_product_more.jsonl"


def test_the_extra_product_pairs_are_train_pairs_that_never_touch_a_dev_or_heldout_passage(
        nli: list[dict[str, Any]]) -> None:
    """``nli_product_more.jsonl`` (``train.py --more-product``): the schema of ``nli_product.jsonl``, train only,
    its premises and sources in no dev / held-out pair; a SQuAD 2.0 train article is ``squad2:<title>``."""
    more = load(NLI_MORE)
    assert len(more) >= 400
    unique_ids(nli, more)
    kept = {(r["premise"], r["hypothesis"]) for r in nli}
    evaluated = {r[k] for r in nli if r["split"] != "train" for k in ("premise", "source")}
    for r in more:
        assert set(r) == {"id", "premise", "hypothesis", "label", "split", "source", "kind"}, r["id"]
        text_fields(r, "id", "premise", "hypothesis", "source", "kind")
        assert r["split"] == "train" and r["label"] in NLI_LABELS, r["id"]
        assert SOURCE.match(r["source"]) or re.match(r"^squad2:.+$", r["source"]), r["source"]
        assert r["source"].split(":", 1)[1] not in RESERVED, r["source"]
        assert r["premise"] not in evaluated and r["source"] not in evaluated, r["id"]
        assert (r["premise"], r["hypothesis"]) not in kept and r["premise"] != r["hypothesis"], r["id"]
    labels = Counter(r["label"] for r in more)
    assert all(0.25 <= labels[lab] / len(more) <= 0.42 for lab in NLI_LABELS), labels
