"""The reader's training examples: the data of ``qa_tools.reading`` (split by article, reserved articles and
NewsQA kept out of training) plus negatives found by qa's own retriever.

Run ``python -m training.reader.data --data ../shared/data`` to write ``examples.jsonl`` into the cache.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
from pathlib import Path
from typing import Any

from qa_tools.reading import FILES, load_all, normalize, sha256

logger = logging.getLogger(__name__)

CACHE = Path.home() / ".cache" / "qa" / "train" / "reader"


def mine_negatives(examples: list[dict[str, Any]], workdir: Path, per_question: int = 1,
                   fraction: float = 0.35, seed: int = 13) -> list[dict[str, Any]]:
    """For a sample of train and dev questions: the best passage qa's retriever finds in *another* article of
    the same split's corpus that holds no gold answer string, as a no-answer example ("retrieved" kind)."""
    import qa  # the product's own retriever: hybrid dense + BM25

    rng = random.Random(seed)
    negatives: list[dict[str, Any]] = []
    for split in ("train", "dev"):
        pool = [e for e in examples if e["split"] == split and e["source"] != "newsqa"]
        paragraphs: dict[str, dict[str, Any]] = {}
        for e in pool:
            paragraphs.setdefault(f"{e['source']}/{e['paragraph']}", e)
        docs = [qa.Document(id=pid, title=e["article"], text=e["context"]) for pid, e in paragraphs.items()]
        logger.info("%s: indexing %d paragraphs for negative mining", split, len(docs))
        index = qa.build_index(docs, workdir / f"negatives-{split}", progress=True)
        asked = [e for e in pool if e["answers"] and rng.random() < fraction]
        logger.info("%s: mining negatives for %d questions", split, len(asked))
        for e in asked:
            golds = [normalize(a["text"]) for a in e["answers"]]
            own_article = f"{e['source']}/{e['article']}" if e["source"] != "shifts-reddit" else None
            taken = 0
            for hit in index.search(e["question"], k=8):
                src_para = paragraphs[hit.doc_id]
                if own_article and f"{src_para['source']}/{src_para['article']}" == own_article:
                    continue
                if hit.doc_id == f"{e['source']}/{e['paragraph']}":
                    continue
                if any(g and f" {g} " in f" {normalize(hit.text)} " for g in golds):
                    continue
                negatives.append({**{k: e[k] for k in ("source", "article", "article_index", "split")},
                                  "paragraph": hit.doc_id, "id": f"{e['id']}-neg{taken}", "question": e["question"],
                                  "context": hit.text, "answers": [], "kind": "retrieved"})
                taken += 1
                if taken >= per_question:
                    break
    return negatives


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data", type=Path)
    ap.add_argument("--out", default=CACHE, type=Path)
    ap.add_argument("--negative-fraction", type=float, default=0.35)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    examples = load_all(args.data)
    if args.negative_fraction > 0:  # 0: no retrieved negatives (enough for the entailment model's --synth pairs)
        examples += mine_negatives(examples, args.out, fraction=args.negative_fraction)
    manifest = {"files": {src: {"path": rel, "sha256": sha256(args.data / rel)} for src, rel in FILES.items()},
                "counts": {}}
    for e in examples:
        key = f"{e['split']}/{e['source']}/{e['kind']}"
        manifest["counts"][key] = manifest["counts"].get(key, 0) + 1
    tmp = args.out / "examples.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for e in examples:
            fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    tmp.replace(args.out / "examples.jsonl")
    (args.out / "data_manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    logger.info("wrote %d examples: %s", len(examples), json.dumps(manifest["counts"], indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
