"""Quotes-mode answers: choose the quotes, cite them, and write the answer text around them.

The best sentence, then the next best until the chance that one of them holds the answer reaches
``AnswerConfig.coverage``; when on-point quotes from two documents disagree (``qa.answer.conflicts``) both
are kept and the disagreement is stated first. Citations are verbatim slices of the documents, grouped per
document ("According to <title>: ...") with the neighbouring sentences as context.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import numpy as np

from ..embed.words import word_vectors
from ..text.furniture import in_tail, is_furniture
from ..text.questions import is_yes_no
from ..text.sentences import split_sentences
from ..text.tokens import query_stopwords
from ..types import Answer, Citation, Hit, ShortAnswer, SourceVerdict
from .candidates import Sentence
from .config import DEFAULT_CONFIG, NOT_FOUND, AnswerConfig, IndexView
from .conflicts import Conflict, find_conflict
from .disagreement import model_conflict
from .evidence import Evidence
from .reader import Reading
from .sections import expand, headed
from .short import features as short_features
from .followup import entities
from .yesno import NO, YES, Verdict, verdicts

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------- selection


def _entity_words(question: str) -> frozenset[str]:
    return frozenset(w.lower() for name in entities(question) for w in re.findall(r"\w+", name))


# A number the reader reads as the answer, in a passage it is at least this sure answers (calibrated P): only such
# numbers are compared between documents. SQuAD v1.1 dev, 400 questions over all 2,067 paragraphs (each one a
# document): every number of a sentence compared, 110 questions got a false "sources disagree"; the reader's answers
# at P >= 0.8, 16; the dev conflict pairs keep all 30 found (at the reader's found threshold, one is lost).
NUMBER_ANSWER = 0.8


def _answer_spans(pool: Sequence[Sentence], readings: Sequence[Reading] | None) -> list[list[tuple[int, int]]] | None:
    """Per sentence of ``pool``, the spans (offsets in the sentence) the reader read as the answer in it, from
    passages it is at least ``NUMBER_ANSWER`` sure answer; None when the reader did not read."""
    if not readings:
        return None
    return [[(r.start - s.start, r.end - s.start) for r in readings
             if r.doc_id == s.doc_id and r.probability >= NUMBER_ANSWER and s.start <= r.start and r.end <= s.end]
            for s in pool]


def detect_conflict(index: IndexView, query: str, sentences: Sequence[Sentence],
                    config: AnswerConfig = DEFAULT_CONFIG, readings: Sequence[Reading] | None = None
                    ) -> tuple[Conflict, Sentence, Sentence] | None:
    """A disagreement between on-point sentences of two different documents, with the two sentences: opposite
    stances (a yes/no question) or different values read as the answer (``readings``: the reader's, when it read;
    without them every number of the sentences counts)."""
    per_doc: dict[str, list[Sentence]] = {}
    for s in sentences:
        fits = len(per_doc.get(s.doc_id, ())) < config.conflict_pool and (s.doc_id in per_doc or len(per_doc) < 3)
        if s.score >= config.on_point and fits:
            per_doc.setdefault(s.doc_id, []).append(s)
    if len(per_doc) < 2:
        return None
    pool = sorted((s for group in per_doc.values() for s in group), key=lambda s: -s.score)
    entailer = index.entailer
    if config.entailment and config.entail_conflicts and entailer is not None and entailer.available:
        pool = sorted((s for group in per_doc.values() for s in group[:config.entail_pool]), key=lambda s: -s.score)
        found = model_conflict(entailer, query, [s.text for s in pool], [s.doc_id for s in pool], stop=query_stopwords(),
                               answers=_answer_spans(pool, readings))
    else:
        found = find_conflict(query, [s.text for s in pool], [s.doc_id for s in pool], stop=query_stopwords(),
                              word_vectors=word_vectors(index.embedder), entity_words=_entity_words(query),
                              answers=_answer_spans(pool, readings), polarity=is_yes_no(query))
    if found is None:
        return None
    logger.debug("conflict (%s): %s", found.kind, found.reason)
    return found, pool[found.a], pool[found.b]


def select(sentences: Sequence[Sentence], config: AnswerConfig = DEFAULT_CONFIG,
           must: Sequence[Sentence] = (), quotable: Callable[[Sentence], bool] | None = None,
           probability: Callable[[Sentence], float] | None = None) -> list[Sentence]:
    """The quotes to show: the best sentence, then the next best ones (that fit the character budget) until
    the chance that one of them holds the answer reaches ``config.coverage``; plus any ``must`` sentences
    (the two sides of a conflict). ``quotable`` may veto the further ones (not the best, nor ``must``);
    ``probability`` (default: each sentence's own) is the chance that a sentence holds the answer."""
    if not sentences:
        return []
    chance = probability or (lambda s: s.probability)
    best = sentences[0]
    chosen = [best, *[m for m in must if m != best]]
    chars = sum(len(s.text) for s in chosen)
    miss = float(np.prod([1.0 - chance(s) for s in chosen]))
    for s in sentences[1:]:
        if len(chosen) >= config.max_quotes or 1.0 - miss >= config.coverage:
            break
        p = chance(s)
        if p < config.min_probability:
            break
        if quotable is not None and s not in chosen and not quotable(s):
            continue
        if s not in chosen and chars + len(s.text) <= config.max_chars:
            chosen.append(s)
            chars += len(s.text)
            miss *= 1.0 - p
    return chosen


def reread(evidence: Evidence, weight: float) -> Callable[[Sentence], float]:
    """The chance that a sentence holds the answer with the reader's readings counted in: a sentence holding a
    reading's span gets 1 - (1 - P_sentence)(1 - weight * P_reading) (P_reading: the reader's calibrated chance
    that its passage answers); other sentences keep their own."""
    raised: dict[tuple[str, int], float] = {}
    for r in evidence.readings:
        holder = holder_of(evidence, r)
        if holder is not None:
            key = (holder.doc_id, holder.start)
            raised[key] = max(raised.get(key, 0.0), weight * r.probability)

    def chance(s: Sentence) -> float:
        r = raised.get((s.doc_id, s.start), 0.0)
        return s.probability if r <= 0.0 else 1.0 - (1.0 - s.probability) * (1.0 - r)
    return chance


# ----------------------------------------------------------------------------------------- composing


def _context(text: str, start: int, end: int) -> tuple[str, int]:
    """The quote with the sentence before and after it (an exact slice of ``text``)."""
    lo, hi = max(0, start - 500), min(len(text), end + 500)
    spans = split_sentences(text, lo, hi)
    before = [s for s in spans if s.end <= start and (s.start > lo or lo == 0)]
    after = [s for s in spans if s.start >= end and (s.end < hi or hi == len(text))]
    c0 = before[-1].start if before else start
    c1 = after[0].end if after else end
    return text[c0:c1], c0


_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")


def _adjacent(gap: str) -> bool:
    """Whether two sentences this far apart make one quote: only space between them, and no paragraph break (a
    headline never runs into the text below)."""
    return not gap.strip() and not _PARAGRAPH_BREAK.search(gap)


def make_citations(index: IndexView, chosen: Sequence[Sentence], lead: Sentence | None = None) -> list[Citation]:
    """Citations for the chosen sentences: grouped by document (best document first; the document of ``lead``,
    the sentence holding the short answer, before all), adjacent sentences of one paragraph merged into one quote,
    a document's quotes best first (``lead``'s first), numbered from 1."""
    by_doc: dict[str, list[Sentence]] = {}
    for s in chosen:
        by_doc.setdefault(s.doc_id, []).append(s)
    lead_doc = lead.doc_id if lead is not None else None
    order = sorted(by_doc, key=lambda d: (d != lead_doc, -max(s.score for s in by_doc[d])))
    citations: list[Citation] = []
    for doc_id in order:
        text = index.snapshot.documents[doc_id].document.text
        quotes: list[list[Sentence]] = []
        for s in sorted(by_doc[doc_id], key=lambda s: s.start):
            if quotes and _adjacent(text[quotes[-1][-1].end : s.start]):
                quotes[-1].append(s)
            else:
                quotes.append([s])
        quotes.sort(key=lambda g: (lead not in g, -max(s.score for s in g)))  # stable: ties keep reading order
        for group in quotes:
            first, last = group[0], group[-1]
            ctx, ctx_start = _context(text, first.start, last.end)
            citations.append(Citation(
                n=len(citations) + 1, quote=text[first.start : last.end], doc_id=doc_id, title=first.title,
                source=first.source, start=first.start, end=last.end, score=max(s.score for s in group),
                page=first.page, context=ctx, context_start=ctx_start,
            ))
    return citations


def _title(c: Citation) -> str:
    return c.title or c.doc_id


def disagreement_line(citations: Sequence[Citation], a: int, b: int) -> str:
    """The line said first when two quotes ([a] and [b], 1-based) disagree."""
    return (f"**The sources disagree on this:** compare [{a}] ({_title(citations[a - 1])}) with "
            f"[{b}] ({_title(citations[b - 1])}).")


def _shown(c: Citation, short: ShortAnswer | None) -> str:
    """The quote for display, the short answer in bold where it lies inside it."""
    if short is None or short.citation != c.n:
        return inline(c.quote)
    a, b = short.start - c.start, short.end - c.start
    before, span, after = c.quote[:a], c.quote[a:b], c.quote[b:]
    pad = (" " if before[-1:].isspace() else "", " " if after[:1].isspace() else "")
    return f"{inline(before)}{pad[0]}**{inline(span)}**{pad[1]}{inline(after)}".strip()


def compose(citations: Sequence[Citation], conflict: Conflict | None = None,
            conflict_ns: tuple[int, int] | None = None, short: ShortAnswer | None = None, verdicts: str = "") -> str:
    """Markdown: the short answer in bold (when there is one), an optional disagreement line, then per
    document "According to <title>: “quote” [n] ..." with the short answer highlighted in its quote."""
    lines: list[str] = [f"**{inline(short.text)}** [{short.citation}]"] if short is not None else []
    if conflict is not None and conflict_ns:
        lines.append(disagreement_line(citations, *conflict_ns))
    if verdicts:  # each source's yes or no, after the disagreement
        lines.append(verdicts)
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.doc_id, []).append(c)
    for cs in groups.values():
        quotes = " ".join(f"{in_quotes(c.quote, _shown(c, short))} [{c.n}]" for c in cs)
        lines.append(f"According to *{inline(_title(cs[0]))}*: {quotes}")
    return "\n\n".join(lines)


_PAIRS = {"“": "”", '"': '"'}


def in_quotes(raw: str, shown: str) -> str:
    """``shown`` (the display form of the verbatim quote ``raw``) between quotation marks, unless ``raw`` already
    is one quotation, marks included (a sentence that is all a quoted statement: “Up to 20 were killed.”), which
    would otherwise read ““Up to 20 were killed.””."""
    text = raw.strip()
    opening = text[:1]
    closing = _PAIRS.get(opening)
    if closing and len(text) > 2 and text.endswith(closing) and opening not in text[1:-1] and closing not in text[1:-1]:
        return shown
    return f"“{shown}”"


def inline(text: str) -> str:
    """One line of markdown-safe text (quotes are verbatim; only whitespace is collapsed for display)."""
    return re.sub(r"\s+", " ", text).strip()


def not_found_text(related: Sequence[Hit]) -> str:
    lines = [NOT_FOUND]
    if related:
        lines.append("Related, but not an answer:")
        for h in related:
            snippet = inline(h.text)
            snippet = snippet if len(snippet) <= 200 else snippet[:200].rsplit(" ", 1)[0] + " …"
            lines.append(f"- *{inline(h.title or h.doc_id)}*: {snippet}")
    return "\n\n".join(lines[:2]) + ("\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")


# ----------------------------------------------------------------------------------------- answers


# A yes/no verdict found where the evidence gate says "not answered" is only trusted when the model is this sure.
SURE_VERDICT = 0.9


def quotes_answer(index: IndexView, question: str, query: str, evidence: Evidence,
                  config: AnswerConfig = DEFAULT_CONFIG) -> Answer:
    """The quotes-mode answer from gathered evidence."""
    answered = evidence.answered(config) or (config.sections and headed(
        query, evidence.sentences, lambda d: index.snapshot.documents[d].document.text) is not None)
    entailer = index.entailer
    verdicts_wanted = (config.entailment and entailer is not None and entailer.available and bool(evidence.sentences)
                       and is_yes_no(query))
    found = detect_conflict(index, query, evidence.sentences, config, evidence.readings) \
        if answered or verdicts_wanted else None
    if verdicts_wanted and found is None:  # when the sources disagree, the quotes below say so first
        yes_no = _yes_no_answer(index, question, query, evidence, config, sure=0.0 if answered else SURE_VERDICT)
        if yes_no is not None:
            return yes_no
    if not answered:
        related = tuple(evidence.hits[: config.related])
        return Answer(question, not_found_text(related), False, related=related, mode="quotes", query=query)
    must = [found[1], found[2]] if found else []
    # a yes/no question on which the sources disagree: each source's verdict too, when the model gives one
    said = verdicts(entailer, query, evidence.sentences, per_document=config.conflict_pool,
                    on_point=config.verdict_on_point) if verdicts_wanted and found and entailer is not None else None
    must += [v.sentence for v in (said[1] if said else ()) if v.sentence is not None and v.sentence not in must]
    # when the sources disagree, the disagreement is said first and no single short answer is put above it
    reading, holder = short_answer(index, evidence, config) if found is None else (None, None)
    # the sentence holding the short answer leads, then the best sentence (always quoted with ``keep_best``); the rest
    # follow by their chance of holding the answer, the reader's readings counted in, until the quotes cover it
    chance = reread(evidence, config.reader_weight)
    best = evidence.sentences[0]
    lead = list(dict.fromkeys(x for x in (holder, best) if x is not None))
    rest = sorted((x for x in evidence.sentences if x not in lead), key=lambda x: -chance(x))
    keep = [best] if config.keep_best and holder not in (None, best) and not furniture(index, best) else []
    chosen = select([*lead, *rest], config, [*must, *keep], quotable=lambda x: not furniture(index, x), probability=chance)
    if config.sections:  # a heading quoted ("Action items") stands for the section under it
        chosen = expand(chosen, evidence.sentences, lambda d: index.snapshot.documents[d].document.text,
                        keep=[x for x in (holder, *must) if x is not None])
    citations = make_citations(index, chosen, lead=holder)
    conflict_ns = None
    if found:
        conflict_ns = (_citation_of(citations, found[1]), _citation_of(citations, found[2]))
    short = None
    if reading is not None and holder is not None:
        n = _citation_of(citations, holder)
        short = ShortAnswer(reading.text, reading.doc_id, reading.start, reading.end, round(reading.probability, 4), n)
    line, sv = _verdicts_said(index, said[1], citations) if said and any(v.sentence for v in said[1]) else ("", ())
    text = compose(citations, found[0] if found else None, conflict_ns, short, verdicts=line)
    return Answer(question, text, True, tuple(citations), conflict=found is not None, mode="quotes", query=query,
                  answer=short, verdicts=sv)


def furniture(index: IndexView, s: Sentence) -> bool:
    """Whether ``s`` is page furniture (a photo credit, "You May Also Like", a teaser after the article's end:
    ``qa.text.furniture``): quoted only when it is the best sentence or holds the short answer."""
    return is_furniture(s.text, s.title or "") or in_tail(index.snapshot.documents[s.doc_id].document.text, s.start)


def _yes_no_answer(index: IndexView, question: str, query: str, evidence: Evidence,
                   config: AnswerConfig = DEFAULT_CONFIG, *, sure: float = 0.0) -> Answer | None:
    """Per source "yes" / "no" / "not addressed" for a yes/no question on which the conflict rules found no
    disagreement, each verdict with the quote that decides it (``qa.answer.yesno``): a "yes" and a "no" are a
    disagreement, said first. None when no source decides it (the answer is then the usual quotes)."""
    assert index.entailer is not None
    got = verdicts(index.entailer, query, evidence.sentences, per_document=config.conflict_pool,
                   on_point=config.verdict_on_point)
    if got is None:
        return None
    decided = [v for v in got[1] if v.sentence is not None]
    if not decided or max(v.probability for v in decided) < sure:
        return None
    # a source without a verdict still shows its best on-point sentence, unlabelled
    silent = [v for v in got[1] if v.sentence is None]
    extra = [next(s for s in evidence.sentences if s.doc_id == v.doc_id) for v in silent]
    extra = [s for s in extra if s.score >= config.on_point]
    citations = make_citations(index, [*[v.sentence for v in decided if v.sentence is not None], *extra])
    line, sv = _verdicts_said(index, got[1], citations)
    yes = next((v for v in sv if v.verdict == YES), None)
    firm = {v.doc_id for v in got[1] if v.verdict == NO and v.firm}  # a disagreement needs a firm "no" (``FIRM_NO``)
    no = next((v for v in sv if v.verdict == NO and v.doc_id in firm), None)
    if yes is not None and no is not None and yes.citation and no.citation:  # opposite verdicts: a disagreement
        line = f"{disagreement_line(citations, yes.citation, no.citation)}\n\n{line}"
    return Answer(question, compose(citations, verdicts=line), True, tuple(citations), conflict=bool(yes and no),
                  mode="quotes", query=query, verdicts=sv)


def _verdicts_said(index: IndexView, got: Sequence[Verdict], citations: Sequence[Citation]
                   ) -> tuple[str, tuple[SourceVerdict, ...]]:
    """The verdicts' line ("**Yes**, according to A [1]. No clear yes or no from B.") and their records."""
    decided = [v for v in got if v.sentence is not None]
    silent = [v for v in got if v.sentence is None]
    titles = {c.doc_id: _title(c) for c in citations}
    ns = {v.doc_id: _citation_of(citations, v.sentence) for v in decided if v.sentence is not None}
    line = " ".join(_verdict_line(v, titles, ns, len(got) > 1) for v in decided)
    if silent:
        names = ", ".join(f"*{inline(_doc_title(index, v.doc_id))}*" for v in silent)
        line += f"\n\nNo clear yes or no from {names}."
    return line, tuple(SourceVerdict(v.doc_id, _doc_title(index, v.doc_id), v.verdict, ns.get(v.doc_id)) for v in got)


def _verdict_line(v: Verdict, titles: dict[str, str], ns: dict[str, int], several: bool) -> str:
    word = "Yes" if v.verdict == "yes" else "No"
    return f"**{word}**, according to *{inline(titles[v.doc_id])}* [{ns[v.doc_id]}]." if several else f"**{word}** [{ns[v.doc_id]}]."


def _doc_title(index: IndexView, doc_id: str) -> str:
    stored = index.snapshot.documents.get(doc_id)
    return (stored.document.title if stored is not None else "") or doc_id


def holder_of(evidence: Evidence, r: Reading) -> Sentence | None:
    """The candidate sentence of ``evidence`` that holds the reading's span (None when none does)."""
    for s in evidence.sentences:
        if s.doc_id == r.doc_id and s.start <= r.start and r.end <= s.end:
            return s
    return None


def short_answer(index: IndexView, evidence: Evidence, config: AnswerConfig = DEFAULT_CONFIG
                 ) -> tuple[Reading | None, Sentence | None]:
    """The reader's best span when it is likely the exact answer, and the candidate sentence that holds it;
    (None, None) when there is no such span (the answer then is quotes only; a yes/no question is never read:
    ``qa.answer.evidence.read``). Likely: by the fitted short-answer decision (``qa.answer.short``) when
    ``config.short_model`` and the reader has one, else the reader's margin above its calibrated threshold."""
    reader = index.reader
    if not evidence.readings or reader is None:
        return None, None
    # each reading as the answer (with short_rerank; else the best margin's alone), scored by the fitted decision
    # or, without one, by its margin over the reader's threshold; the likeliest is shown if it scores >= 0
    several = config.short_model and config.short_rerank
    options = []
    for i, r in enumerate(evidence.readings if several else evidence.readings[:1]):
        if not r.text.strip() or (h := holder_of(evidence, r)) is None:
            continue
        order = [r, *evidence.readings[:i], *evidence.readings[i + 1:]]
        shown = reader.short_answer(short_features(order, h, evidence.sentences)) if config.short_model else None
        if shown is None and i > 0:
            break  # no fitted decision: the best margin's reading alone, as before
        options.append((r.margin - reader.threshold if shown is None else shown, -i, r, h))
    if not options:
        return None, None
    score, _, best, holder = max(options, key=lambda o: o[:2])
    return (best, holder) if score >= 0.0 else (None, None)


def _citation_of(citations: Sequence[Citation], s: Sentence) -> int:
    for c in citations:
        if c.doc_id == s.doc_id and c.start <= s.start and s.end <= c.end:
            return c.n
    raise AssertionError("a sentence that must be quoted was not cited")  # select() always keeps them
