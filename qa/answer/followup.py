"""Follow-up questions: read the conversation so far and turn "was he hurt?" into a stand-alone query.

History comes in the shapes chat front-ends use: ``{"role": ..., "content": ...}`` dicts (content a string
or a list of Gradio/OpenAI-style content blocks) and ``(user, assistant)`` pairs. The rewrite is rule based
(no model, instant): a personal pronoun is replaced by the most recent entity the user asked about ("was he
hurt?" after "Who is Valery Gerasimov?" becomes "was Valery Gerasimov hurt?"); an elliptical question ("and
why?", "when did that happen?") carries the previous question along.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..text.tokens import QUESTION_WORDS

_PRONOUNS = {
    "he": "subject", "she": "subject", "they": "subject", "it": "subject",
    "him": "object", "her": "object", "them": "object",
    "his": "possessive", "their": "possessive", "its": "possessive", "hers": "possessive",
}
_DEMONSTRATIVE = re.compile(r"\b(this|that|these|those)\b(?!\s+(?:is|was|are|were)\b)", re.IGNORECASE)
_SENTENCE_START_WORDS = frozenset(
    "the a an and but or so if in on at to of for from by with as was were is are did does do who what when "
    "where why how which whom whose can could should would will tell please according".split()
)


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    content: str


def _text_of(content: Any) -> str:
    """Plain text of a message content: a string, a list of content blocks, or a block dict."""
    text = ""
    if isinstance(content, str):
        text = content
    elif isinstance(content, dict):
        if isinstance(content.get("text"), str):
            text = content["text"]
        elif "content" in content:
            text = _text_of(content["content"])
        # else: a file, an image, a component: no text to read
    elif isinstance(content, (list, tuple)):
        text = " ".join(t for t in (_text_of(c) for c in content) if t)
    return text


def normalize_history(history: Iterable[Any] | None) -> list[Turn]:
    """Turns from dict messages or (user, assistant) pairs; system messages and empty turns dropped."""
    turns: list[Turn] = []
    for item in history or ():
        if isinstance(item, dict):
            role = str(item.get("role", "user"))
            if role not in ("user", "assistant"):
                continue
            text = _text_of(item.get("content"))
            if text.strip():
                turns.append(Turn(role, text.strip()))
        elif isinstance(item, (list, tuple)) and len(item) == 2 and not isinstance(item[0], dict):
            for role, content in zip(("user", "assistant"), item, strict=True):
                text = _text_of(content)
                if text.strip():
                    turns.append(Turn(role, text.strip()))
        elif hasattr(item, "role") and hasattr(item, "content"):  # a message object (e.g. gradio.ChatMessage)
            role = str(item.role)
            text = _text_of(item.content)
            if role in ("user", "assistant") and text.strip():
                turns.append(Turn(role, text.strip()))
        else:
            raise TypeError(f"cannot read a chat history item of type {type(item).__name__}")
    return turns


def entities(text: str) -> list[str]:
    """Capitalised names in ``text`` ("Valery Gerasimov", "New York Times"), in order of appearance."""
    found: list[str] = []
    for m in re.finditer(r"\b[A-Z][\w'’.-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'’.-]*)*", text):
        name = m.group().strip(" .'’")
        words = name.split()
        while words and words[0].lower() in _SENTENCE_START_WORDS:
            words = words[1:]
        if not words:
            continue
        if len(words) == 1 and words[0].lower() in QUESTION_WORDS | set(_PRONOUNS) | {"i"}:
            continue
        name = " ".join(words)
        if name not in found:
            found.append(name)
    return found


def _needs_context(question: str) -> bool:
    words = re.findall(r"[\w']+", question.lower())
    if any(w in _PRONOUNS for w in words) or _DEMONSTRATIVE.search(question):
        return True
    content = [w for w in words if w not in QUESTION_WORDS and w not in _SENTENCE_START_WORDS and len(w) > 2]
    return len(content) <= 1 and not entities(question)  # "and why?", "how many?", "when?"


def _focus(turns: Sequence[Turn]) -> tuple[str | None, str | None]:
    """(main entity, previous user question) from the most recent turns."""
    last_question = next((t.content for t in reversed(turns) if t.role == "user"), None)
    for t in reversed(turns):
        if t.role != "user":
            continue
        names = entities(t.content)
        if names:
            return max(names, key=lambda n: (len(n.split()) > 1, -names.index(n))), last_question
    for t in reversed(turns):  # nobody named in the questions: take the answer's first name
        names = entities(t.content)
        if names:
            return names[0], last_question
    return None, last_question


def _substitute(question: str, entity: str) -> tuple[str, bool]:
    def repl(m: re.Match[str]) -> str:
        kind = _PRONOUNS[m.group().lower()]
        return f"{entity}'s" if kind == "possessive" else entity

    pattern = r"\b(he|she|him|his|hers|they|them|their)\b"
    new, n = re.subn(pattern, repl, question, count=1, flags=re.IGNORECASE)
    if n == 0:  # "it" / "its" only when no person pronoun was there
        new, n = re.subn(r"\b(it|its)\b", repl, question, count=1, flags=re.IGNORECASE)
    return new, n > 0


def standalone_query(question: str, history: Iterable[Any] | None) -> str:
    """The question rewritten to stand alone, given the conversation so far (unchanged when it already does)."""
    question = question.strip()
    turns = normalize_history(history)
    if not turns or not _needs_context(question):
        return question
    entity, previous = _focus(turns)
    if entity:
        new, done = _substitute(question, entity)
        if done:
            return new
    if previous and previous.strip().lower() != question.lower():
        return f"{question} (following: {previous.strip()})"
    return question
