"""Compound questions answered part by part (``qa.text.compound.parts``: "What was Alameda Research, and how was
it tied up with FTX?" asks two things). Each part gets the answer it would get alone (a broad answer, or the factoid
path's short answer and quotes), shown under the part it answers; the citations of all parts are numbered on from
1, a quote two parts share keeping one number. The whole is found when a part is; a part the documents do not
answer says so in one line, and its closest passages join the answer's ``related``.

The parts of one message share its context: a later part is searched as a follow-up of the ones before it ("Who
takes over?" after "Run me through the Binance plea deal."): its pronouns resolved as in a chat
(``qa.answer.followup``), and the names the message gives that the part does not repeat added to its query.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ..text.questions import grammar
from ..types import Answer, Citation, Hit
from .compose import inline, not_found_text
from .config import NOT_FOUND
from .followup import entities, standalone_query

_MARKER = re.compile(r"\[(\d+)\]")
CONTEXT_NAMES = 3  # names of the message added to a later part's query, at most


def queries(asked: Sequence[str], message: str) -> list[str]:
    """The query each part is searched with: the first as asked; a later one as a follow-up of those before it,
    with the message's names it does not repeat ("Who takes over? (Binance, CZ)")."""
    g = grammar()
    # a request's verb opening a sentence ("Run me through ...") is no name
    names = [n for n in entities(message) if " " in n or n.lower() not in g["request_verbs"] | g["verbs"]]
    out: list[str] = []
    for i, part in enumerate(asked):
        if i == 0:
            out.append(part)
            continue
        q = standalone_query(part, [{"role": "user", "content": p} for p in asked[:i]])
        missing = [n for n in names if n.lower() not in q.lower()][:CONTEXT_NAMES]
        out.append(f"{q} ({', '.join(missing)})" if missing else q)
    return out


def _as_shown(quote: str) -> str:
    """A pattern for ``quote`` as an answer shows it: any whitespace run, "**" anywhere (bold spans)."""
    bold = r"(?:\*\*)?"
    return bold + "".join(r"\s+" + bold if ch == " " else re.escape(ch) + bold for ch in quote)


def renumbered(text: str, citations: Sequence[Citation], mapping: dict[int, int]) -> str:
    """``text`` with its [n] markers renumbered by ``mapping``; the quotes it shows are left exactly as they are
    (a document's own "[3]" inside a quote is the document's text, not a citation)."""
    shown = sorted({inline(c.quote) for c in citations if c.quote.strip()}, key=len, reverse=True)
    kept: list[str] = []

    def hide(m: re.Match[str]) -> str:
        kept.append(m.group())
        return f"\x00{len(kept) - 1}\x00"

    if shown:  # each quote as shown: whitespace collapsed, the short answer in bold ("**40 million euros**")
        text = re.sub("|".join(_as_shown(q) for q in shown), hide, text)
    text = _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def merge(question: str, query: str, asked: Sequence[str], answers: Sequence[Answer], related: int = 3) -> Answer:
    """One answer of the parts ``asked`` and their ``answers`` (in order)."""
    citations: list[Citation] = []
    number: dict[tuple[str, int, int], int] = {}
    blocks: list[str] = []
    nearby: list[Hit] = []
    notes: list[str] = []
    for part, ans in zip(asked, answers, strict=True):
        notes += [n for n in ans.notes if n not in notes]
        if not ans.found:
            blocks.append(f"**{inline(part)}**\n\n{NOT_FOUND}")
            nearby += [h for h in ans.related if all((h.doc_id, h.text) != (x.doc_id, x.text) for x in nearby)]
            continue
        mapping: dict[int, int] = {}
        for c in ans.citations:
            key = (c.doc_id, c.start, c.end)
            if key not in number:
                number[key] = len(citations) + 1
                citations.append(replace(c, n=number[key]))
            mapping[c.n] = number[key]
        blocks.append(f"**{inline(part)}**\n\n{renumbered(ans.text, ans.citations, mapping)}")
    if not citations:
        return Answer(question, not_found_text(nearby[:related]), False, related=tuple(nearby[:related]),
                      query=query, notes=tuple(notes))
    return Answer(question, "\n\n".join(blocks), True, tuple(citations), conflict=any(a.conflict for a in answers),
                  related=tuple(nearby[:related]), query=query, notes=tuple(notes))
