"""Words: the tokenizer, stemmer and stopwords shared by BM25, evidence scoring, conflicts and claims.

``tokenize`` is what BM25 indexes (lower-case words of two or more characters, stopwords removed,
Snowball-stemmed); every other stage that compares words with the index's vocabulary uses it too.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .wordlists import load_wordlists

TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def stemmer() -> Any:
    """The English Snowball stemmer (PyStemmer), created once."""
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """bm25s's English stopwords."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, English stopwords removed, Snowball-stemmed."""
    stop = stopwords()
    words = [w for w in TOKEN_RE.findall(text.lower()) if w not in stop]
    return stemmer().stemWords(words) if words else []


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """The Snowball stem of one word (lower-cased)."""
    return str(stemmer().stemWord(word.lower()))


# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(
    load_wordlists(Path(__file__).resolve().parent / "data" / "words.json", {"question_words": "words"})["question_words"])


@lru_cache(maxsize=1)
def query_stopwords() -> frozenset[str]:
    """Words that carry no topic in a question: the stopwords and ``QUESTION_WORDS``."""
    return stopwords() | QUESTION_WORDS
