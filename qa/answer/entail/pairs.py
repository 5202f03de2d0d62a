"""Premise/hypothesis pairs -> model inputs (shared with ``training/nli``).

A pair is ``[CLS] premise [SEP] hypothesis [SEP]`` cut to ``MAX_LEN`` word pieces, the premise trimmed first
(the hypothesis is the short claim being checked).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..reader.windows import tokenizer

MAX_LEN = 128
MAX_HYPOTHESIS = 48


def encode(premise: str, hypothesis: str, max_len: int = MAX_LEN) -> tuple[list[int], list[int]]:
    """(input_ids, token_type_ids) of one pair."""
    tok = tokenizer()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    if cls is None or sep is None:
        raise ValueError("the bundled tokenizer has no [CLS] / [SEP] token")
    h = tok.encode(hypothesis, add_special_tokens=False).ids[:MAX_HYPOTHESIS]
    p = tok.encode(premise, add_special_tokens=False).ids[:max(8, max_len - len(h) - 3)]
    ids = [cls, *p, sep, *h, sep]
    return ids, [0] * (len(p) + 2) + [1] * (len(h) + 1)


def batch(pairs: Sequence[tuple[list[int], list[int]]]) -> dict[str, np.ndarray]:
    """Pad encoded pairs to the longest one."""
    n = max(len(ids) for ids, _ in pairs)
    out = {k: np.zeros((len(pairs), n), dtype=np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    for i, (ids, types) in enumerate(pairs):
        out["input_ids"][i, :len(ids)] = ids
        out["attention_mask"][i, :len(ids)] = 1
        out["token_type_ids"][i, :len(ids)] = types
    return out
