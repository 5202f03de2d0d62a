"""A reader example (as ``training.reader.data`` writes them) around a given passage, for the pair makers' tests."""
from __future__ import annotations

from typing import Any


def example(split: str, paragraph: str, source: str = "squad2-train", *, context: str, article: str = "Article",
            question: str = "What happened?", answer: str = "") -> dict[str, Any]:
    answer = answer or context.split()[1]
    return {"split": split, "source": source, "article": article, "paragraph": paragraph, "kind": "gold",
            "context": context, "question": question, "answers": [{"text": answer, "start": context.index(answer)}]}
