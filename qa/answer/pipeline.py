"""Grounded answers: every claim is a verbatim quote from the documents, with an [n] citation.

``answer(index, question, history=None, mode="quotes")`` -> ``qa.Answer``.

- **quotes** (default, no language model, instant): the question (made stand-alone with the chat history,
  see ``qa.answer.followup``) retrieves the top passages; their sentences are scored against it
  (``qa.answer.evidence``); the best few become the answer (``qa.answer.compose``), grouped per document
  ("According to <title>: ...") when more than one document answers. When even the best sentence scores
  below ``AnswerConfig.threshold`` the answer says so (``found=False``) and lists the closest passages as
  "related, but not an answer". When on-point quotes from two documents disagree
  (``qa.answer.conflicts``), ``conflict=True`` and the disagreement is stated above the per-source quotes,
  both of which are cited.
- a message that asks several things (``qa.text.compound``) is answered part by part in quotes mode, each part as
  if asked alone, under its own heading (``qa.answer.compound``); ``compound=False`` answers it as one question.
- **written** (optional, local or OpenAI-compatible LLM, see ``qa.answer.written``): a fluent answer written
  from the numbered quotes only, every sentence checked against the quote it cites.

``stream_answer`` yields ``Partial`` events (the text so far) and finally the ``Answer``.
"""
from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from ..text.compound import parts, standalone
from ..threads import question_threads
from ..types import Answer
from .broad import broad_answer, named_documents
from .compose import quotes_answer
from .compound import merge, queries
from .config import DEFAULT_CONFIG, MODES, AnswerConfig, IndexView, Partial
from .evidence import gather
from .followup import standalone_query
from .llm import local_model_available
from .written import stream_written


def written_available() -> bool:
    """Whether ``mode="written"`` can run here: an OpenAI-compatible server is configured
    (``QA_LLM_BASE_URL``) or the local model and xllamacpp are installed."""
    if os.environ.get("QA_LLM_BASE_URL"):
        return True
    return local_model_available()


def _options(kwargs: dict[str, Any]) -> tuple[AnswerConfig, dict[str, Any]]:
    config = kwargs.pop("config", None) or DEFAULT_CONFIG
    known = set(AnswerConfig.__dataclass_fields__)
    overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in known}
    if overrides:
        config = replace(config, **overrides)
    return config, kwargs


def answer(index: IndexView, question: str, history: Sequence[Any] | None = None, mode: str = "quotes", *,
           k: int = 5, doc_ids: Collection[str] | None = None, **kwargs: Any) -> Answer:
    """Answer ``question`` from the index with cited verbatim quotes (see the module docstring).

    Keyword options: ``config`` (an ``AnswerConfig``) or any of its fields; for ``mode="written"`` also
    ``llm`` (a ``qa.answer.llm.ChatModel``), ``max_tokens`` and ``temperature``."""
    final: Answer | None = None
    for event in stream_answer(index, question, history, mode, k=k, doc_ids=doc_ids, **kwargs):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final


def _quotes(index: IndexView, question: str, query: str, config: AnswerConfig, *, doc_ids: Collection[str] | None,
            k: int) -> Answer:
    # broad questions (summaries, who is / what happened, comparisons, lists): qa.answer.broad; None: a factoid
    # the query's vector, computed once when first needed: by the learned kind fallback (a question no broad
    # pattern reads), then by retrieval; a broad question its patterns read needs none
    vector = cache(lambda: index.embedder.encode_queries([query])[0])
    ans = broad_answer(index, question, query, config, doc_ids, query_vector=vector)
    if ans is None:
        ans = quotes_answer(index, question, query, gather(index, query, k=k, doc_ids=doc_ids, config=config,
                                                           query_vector=vector() if query.strip() else None), config)
    return ans


def stream_answer(index: IndexView, question: str, history: Sequence[Any] | None = None, mode: str = "quotes", *,
                  k: int = 5, doc_ids: Collection[str] | None = None, **kwargs: Any) -> Iterator[Partial | Answer]:
    """Like ``answer`` but a generator: ``Partial`` events while the text grows, then the final ``Answer``.

    Quotes mode yields its text in one piece. Written mode yields the model's tokens as they come; the final
    ``Answer.text`` is the checked text (unsupported sentences removed), which may differ from the stream:
    a front-end should replace the streamed text with it."""
    if mode not in MODES:
        raise ValueError(f"unknown answer mode {mode!r}; choose one of {', '.join(MODES)}")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the question is empty")
    config, rest = _options(dict(kwargs))
    query = standalone_query(question, history)
    if mode == "quotes":
        if rest:
            raise TypeError(f"unexpected options for quotes mode: {', '.join(sorted(rest))}")
        with question_threads():
            asked = parts(query) if config.compound else []
            if asked:  # several questions in one message: each answered as if asked alone (qa.answer.compound)
                searched = queries(asked, query)
                named = named_documents(index, query, doc_ids) or doc_ids  # the message's document: every part's
                ans = merge(question, query, asked, [_quotes(index, part, q, config, doc_ids=named, k=k)
                                                     for part, q in zip(asked, searched, strict=True)], config.related)
            elif config.compound and (whole := standalone(query)) is not None:
                # "the Øresund crossing - what is it?" asked as "What is the Øresund crossing?"
                ans = replace(_quotes(index, whole, whole, config, doc_ids=doc_ids, k=k), question=question, query=query)
            else:
                ans = _quotes(index, question, query, config, doc_ids=doc_ids, k=k)
        yield Partial(ans.text, ans.text)
        yield ans
        return
    yield from stream_written(index, question, query, k=k, doc_ids=doc_ids, config=config, **rest)
