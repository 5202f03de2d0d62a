"""Question + context -> reader windows with character offsets, and span decoding (shared with training/).

A window is ``[CLS] question [SEP] context-slice [SEP]``; long contexts are cut into overlapping slices
(``stride`` tokens shared). Every context token keeps its character span in the context, so a decoded answer is
always a verbatim slice ``context[start:end]``. Position 0 ([CLS]) stands for "no answer in this window".
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ...embed.base import bundled_model_dir

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MAX_LEN = 192
STRIDE = 64
MAX_QUESTION_TOKENS = 48
MAX_ANSWER_TOKENS = 30


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """The bundled MiniLM word-piece tokenizer (the reader was trained from that model), without padding or
    truncation: windows are cut here."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


@dataclass(frozen=True)
class Window:
    input_ids: np.ndarray  # int64 [n]
    token_type_ids: np.ndarray  # int64 [n]
    offsets: np.ndarray  # int64 [n, 2]: context character span per token; -1 outside the context
    first: int  # index of the first context token
    last: int  # index of the last context token


def encode_context(context: str) -> tuple[list[int], list[tuple[int, int]]]:
    enc = tokenizer().encode(context, add_special_tokens=False)
    return enc.ids, enc.offsets


def windows(question: str, context: str, *, max_len: int = MAX_LEN, stride: int = STRIDE,
            context_tokens: tuple[list[int], list[tuple[int, int]]] | None = None) -> list[Window]:
    tok = tokenizer()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    q_ids = tok.encode(question, add_special_tokens=False).ids[:MAX_QUESTION_TOKENS]
    c_ids, c_off = context_tokens if context_tokens is not None else encode_context(context)
    room = max(8, max_len - len(q_ids) - 3)
    out: list[Window] = []
    begin = 0
    while True:
        end = min(len(c_ids), begin + room)
        ids = [cls, *q_ids, sep, *c_ids[begin:end], sep]
        types = [0] * (len(q_ids) + 2) + [1] * (end - begin + 1)
        offs = np.full((len(ids), 2), -1, dtype=np.int64)
        first = len(q_ids) + 2
        if end > begin:
            offs[first:first + end - begin] = np.asarray(c_off[begin:end], dtype=np.int64)
        out.append(Window(np.asarray(ids, dtype=np.int64), np.asarray(types, dtype=np.int64), offs,
                          first, first + end - begin - 1))
        if end >= len(c_ids):
            return out
        begin = max(begin + 1, end - stride)


def label(window: Window, start_char: int, end_char: int) -> tuple[int, int]:
    """Token positions of the answer ``context[start_char:end_char]`` in ``window``, or (0, 0) if not inside."""
    offs = window.offsets
    if window.last < window.first:
        return 0, 0
    if offs[window.first, 0] > start_char or offs[window.last, 1] < end_char:
        return 0, 0
    ctx = slice(window.first, window.last + 1)
    starts = np.nonzero(offs[ctx, 0] <= start_char)[0]
    ends = np.nonzero(offs[ctx, 1] >= end_char)[0]
    if not len(starts) or not len(ends):
        return 0, 0
    s, e = window.first + int(starts[-1]), window.first + int(ends[0])
    return (s, e) if s <= e else (0, 0)


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the context
    end: int
    score: float  # start + end logit
    null: float  # the window's no-answer score (CLS start + CLS end)


def best_span(window: Window, start_logits: np.ndarray, end_logits: np.ndarray,
              max_answer_tokens: int = MAX_ANSWER_TOKENS) -> Span | None:
    """The highest-scoring well-formed span of context tokens (start <= end, at most ``max_answer_tokens``)."""
    null = float(start_logits[0] + end_logits[0])
    a, b = window.first, window.last
    if b < a:
        return None
    s = np.asarray(start_logits[a:b + 1], dtype=np.float64)
    e = np.asarray(end_logits[a:b + 1], dtype=np.float64)
    n = len(s)
    total = s[:, None] + e[None, :]
    i, j = np.indices((n, n))
    total[(j < i) | (j - i >= max_answer_tokens)] = -np.inf
    flat = int(np.argmax(total))
    si, ei = divmod(flat, n)
    return Span(int(window.offsets[a + si, 0]), int(window.offsets[a + ei, 1]), float(total[si, ei]), null)


def batch(wins: list[Window]) -> dict[str, np.ndarray]:
    """Pad windows to the longest one: input_ids, attention_mask, token_type_ids (int64)."""
    n = max(len(w.input_ids) for w in wins)
    ids = np.zeros((len(wins), n), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for r, w in enumerate(wins):
        ids[r, :len(w.input_ids)] = w.input_ids
        types[r, :len(w.input_ids)] = w.token_type_ids
        mask[r, :len(w.input_ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
