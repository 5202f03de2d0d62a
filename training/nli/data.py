"""The entailment model's pairs, split so that nothing reported was trained or tuned on.

- MultiNLI dev-matched and SNLI dev (the only NLI training data here): split by premise (sha1), 8% dev;
- SNLI test: held out, never trained or tuned on (PTB tokenisation undone);
- qa's own product-like pairs (``tests/data/nli_product.jsonl``): their own train / dev / heldout split (by passage);
  with ``more_product``, also ``tests/data/nli_product_more.jsonl`` (466 train pairs written 2026-12-01 from the
  reader's train passages, harder ones: contradictions that copy most of the premise's words, neutrals that add one
  detail; ``train.py --more-product``).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

LABELS = ("entailment", "neutral", "contradiction")
REPO = Path(__file__).resolve().parents[2]
PRODUCT = REPO / "tests" / "data" / "nli_product.jsonl"
PRODUCT_MORE = REPO / "tests" / "data" / "nli_product_more.jsonl"
IMPLICATIVES = REPO / "tests" / "data" / "nli_implicatives.jsonl"  # hand-written, dev and heldout only: never trained on
DEV_PERCENT = 8


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _split_of(premise: str) -> str:
    return "dev" if int(hashlib.sha1(premise.strip().encode()).hexdigest(), 16) % 100 < DEV_PERCENT else "train"


def detokenize(text: str) -> str:
    """Undo Penn-Treebank tokenisation well enough for a word-piece tokenizer."""
    text = re.sub(r" ([.,!?;:%)\]}])", r"\1", text.strip())
    text = re.sub(r"([(\[{$]) ", r"\1", text)
    text = re.sub(r" (n't|'s|'re|'ve|'m|'ll|'d)\b", r"\1", text)
    return text.replace("`` ", '"').replace(" ''", '"')


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load(data: Path, *, more_product: bool = False) -> list[dict[str, Any]]:
    """Every pair with ``premise, hypothesis, label (0-2), split, set`` (``more_product``: with
    ``PRODUCT_MORE``'s train pairs)."""
    nli = data / "nli"
    out: list[dict[str, Any]] = []
    for name, file in (("mnli", "mnli_dev_matched.jsonl"), ("snli", "snli_dev.jsonl")):
        for r in _jsonl(nli / file):
            if r["label"] in LABELS:
                out.append({"premise": r["premise"], "hypothesis": r["hypothesis"], "label": LABELS.index(r["label"]),
                            "split": _split_of(r["premise"]), "set": name})
    test = nli / "snli-test-tokenized"
    rows = zip(*(test.joinpath(f).read_text(encoding="utf-8").splitlines() for f in ("s1.test", "s2.test", "labels.test")),
               strict=True)
    out.extend({"premise": detokenize(p), "hypothesis": detokenize(h), "label": LABELS.index(y), "split": "heldout",
                "set": "snli-test"} for p, h, y in rows if y in LABELS)
    if PRODUCT.exists():
        out.extend(_product(r) for r in _jsonl(PRODUCT))
    if more_product:
        extra = _jsonl(PRODUCT_MORE)
        if any(r["split"] != "train" for r in extra):
            raise ValueError(f"{PRODUCT_MORE}: every pair must be a train pair")
        out.extend(_product(r) for r in extra)
    if IMPLICATIVES.exists():
        written = _jsonl(IMPLICATIVES)
        if any(r["split"] == "train" for r in written):
            raise ValueError(f"{IMPLICATIVES}: an evaluation set, it has no train pairs")
        out.extend({**_product(r), "set": "implicatives"} for r in written)
    return out


def _product(r: dict[str, Any]) -> dict[str, Any]:
    """One hand-labelled product-like pair as a training row."""
    return {"premise": r["premise"], "hypothesis": r["hypothesis"], "label": LABELS.index(r["label"]),
            "split": r["split"], "set": "product", "kind": r.get("kind", "")}


def manifest(data: Path, *, synth: bool = False, more_product: bool = False, scifact: bool = False) -> dict[str, str]:
    """sha256 of every file read (with ``synth``: also the reading-comprehension files the synthetic pairs come from;
    with ``scifact``: SciFact's claims and abstracts)."""
    files = [data / "nli" / "mnli_dev_matched.jsonl", data / "nli" / "snli_dev.jsonl",
             *(data / "nli" / "snli-test-tokenized" / f for f in ("s1.test", "s2.test", "labels.test"))]
    if PRODUCT.exists():
        files.append(PRODUCT)
    if more_product:
        files.append(PRODUCT_MORE)
    if IMPLICATIVES.exists():
        files.append(IMPLICATIVES)
    if scifact:
        files.extend(data / "beir-scifact" / f for f in ("queries.jsonl", "corpus.jsonl"))
    if synth:
        from qa_tools.reading import FILES
        files.extend(data / rel for rel in FILES.values())
    return {str(f.relative_to(data.parent) if f.is_relative_to(data.parent) else f.relative_to(REPO)): sha256(f)
            for f in files}
