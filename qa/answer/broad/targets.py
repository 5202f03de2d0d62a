"""Which document does a question name? "the second article", "the Express article", "the article quoting
Arestovych", "gerasimov-reportedly-wounded-in-izium-ambush.txt", "according to the New York Times".

A reference is found by its shape (an ordinal, a file name, a modifier before a document noun, a phrase after
one) and resolved against the documents in scope, in the order the Documents list shows them (the index's
order). A phrase is matched by its distinctive words (weighted by how few documents contain them) in each
document's title, file name, source and metadata first, then in its text. When two documents match almost
equally the reference is ambiguous: the best is used and the answer says so. A reference that matches no
document restricts nothing (the answer says that too).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from ...text.tokens import stopwords, tokenize
from ...types import Document

# a person's own papers ("the meeting notes", "my CV", "the lease"): a reference only when it fits a document (in
# news, "the trade agreement" or "the open letter" is something the documents talk about, not one of them)
PAPERS = (r"(?:notes|memo|cv|r[eé]sum[eé]|invoice|receipt|itinerary|newsletter|manual|handbook|brochure|transcript|"
          r"slides|essay|thesis|readme|spec|specification|datasheet|whitepaper|leaflet|flyer|pamphlet|syllabus|lease|"
          r"letter|contract|agreement|minutes)")
SINGULAR = (r"(?:article|document|doc|file|text|source|report|story|paper|piece|page|post|account|outlet|publication|write-?up|"
            r"timeline|profile|column|op-?ed|editorial|extract|excerpt|clipping|" + PAPERS[3:-1] + ")")
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "seventh": 6, "eighth": 7,
             "ninth": 8, "tenth": 9, "1st": 0, "2nd": 1, "3rd": 2, "4th": 3, "5th": 4, "6th": 5, "7th": 6, "8th": 7,
             "9th": 8, "10th": 9, "former": 0, "last": -1, "final": -1, "latter": -1, "penultimate": -2}
ORDINAL = re.compile(r"\b(?:the\s+)?(?P<ord>" + "|".join(_ORDINALS) + r")\s+(?:one|" + SINGULAR + r")\b(?!\s+of\b)"
                     r"|\b(?:" + SINGULAR + r")\s+(?:no\.?\s*|number\s+|#\s*)?(?P<num>\d{1,3})\b(?!\s*(?:%|percent))", re.I)
PLURAL = (r"(?:articles|documents|docs|files|texts|sources|reports|stories|papers|pieces|pages|posts|ones|timelines|profiles|"
          r"columns|op-?eds|editorials|extracts|excerpts|clippings)")
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
# "the first two articles", "the last three documents"
FIRST_N = re.compile(r"\b(?:the\s+)?(?P<end>first|last)\s+(?P<n>" + "|".join(_COUNTS) + r")\s+" + PLURAL + r"\b", re.I)
# "the first and third articles", "the second, third and fifth documents"
_ORD = "(?:" + "|".join(o for o in _ORDINALS if o not in ("former", "latter")) + ")"
ORDINAL_LIST = re.compile(r"\b(?:the\s+)?(?P<ords>" + _ORD + r"(?:\s*,\s*(?:the\s+)?" + _ORD + r")*\s+(?:and|&)\s+(?:the\s+)?"
                          + _ORD + r")\s+(?:" + PLURAL + "|" + SINGULAR + r"s?)\b", re.I)
FILE_NAME = re.compile(r"(?<![\w/.-])(?P<name>[\w./-]*[\w-]+\.(?:txt|md|markdown|pdf|docx?|html?|rst|csv|json|rtf|odt))\b"
                       r"|(?<![\w/.-])(?P<slug>[a-z0-9]+(?:[-_][a-z0-9]+){2,})(?![\w/.-])", re.I)
# "the Express article", "the New York Times piece", "the Gerasimov ambush story"
# (no determiner inside the modifier but after "of": "name the bridges the Baltic Sea piece talks about", "the Person
# of the Year piece"; the noun not a verb
# before its object: "how do the Verge and CNBC report the verdict")
_MOD_WORD = r"(?!(?<!of\s)(?:the|a|an|this|that|these|those)\s)[\w'’.&-]+"
MODIFIED = re.compile(r"\b(?:the|that|this)\s+(?P<mod>(?:" + _MOD_WORD + r"\s+){0,3}?" + _MOD_WORD + r")\s+" + SINGULAR +
                      r"\b(?!\s+(?:of|the|a|an|his|her|its|their|how|what|whether|why)\b)", re.I)
# "the article quoting Arestovych", "the report about the ambush", "the story by ..."
_RELATIONS = (r"quoting|that quotes|which quotes|citing|that cites|which cites|mentioning|that mentions|which mentions|"
              r"about|on|by|from|titled|called|named|headlined|entitled|that says|which says|saying|that reports|"
              r"which reports|reporting|with|in which|where|describing|that describes|which describes|covering|"
              r"that covers|which covers|that talks about|which talks about|talking about|discussing|that discusses|"
              r"featuring|that features|that claims|which claims|claiming|that focuses on|focusing on")
RELATIVE = re.compile(r"\b(?:the|that|this)\s+" + SINGULAR + r"\s+(?P<rel>" + _RELATIONS + r")\s+(?P<phrase>[^?,;:!]+)", re.I)
_NAME = r"(?P<phrase>[A-Z][\w'’.&-]*(?:\s+[A-Z][\w'’.&-]*){0,3})"
# "according to the New York Times", "as reported by Mashable", "going by the UK briefing", "in Mashable's article"
_ACCORDING_LEAD = r"(?i:according to|as reported by|as (?:told|written) by|going by|judging (?:by|from)|as per)"
ACCORDING = re.compile(r"\b(?:" + _ACCORDING_LEAD + r"\s+(?:the\s+)?" + _NAME +
                       r"(?:(?:'s|’s)?\s+" + SINGULAR + r")?|\bin\s+(?:the\s+)?" + _NAME.replace("phrase", "own") +
                       r"(?:'s|’s)\s+" + SINGULAR + ")")
# "'Putin humiliated again'", "“WTF is going on at OpenAI”": a quoted title (or a phrase of one)
QUOTED = re.compile(r"(?:(?<=\s)|^|(?<=[(\[]))(?:'(?P<a>[^']{4,200})'|\"(?P<b>[^\"]{4,200})\"|‘(?P<c>[^’]{4,200})’|“(?P<d>[^”]{4,200})”)"
                    r"(?:\s+(?:" + SINGULAR + r"))?")
# "Fortune's report", "TechCrunch's 'Sam Altman ousted' piece"
POSSESSIVE = re.compile(r"\b(?P<mod>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2})(?:'s|’s)\s+(?:(?:'[^']*'|‘[^’]*’|[\w-]+)\s+){0,4}?"
                        + SINGULAR + r"\b")
# "Fortune's two stories", "TechCrunch's articles": every document of that outlet
POSSESSIVE_PLURAL = re.compile(r"\b(?P<mod>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,2})(?:'s|’s)\s+(?:(?:two|three|four|five|"
                               r"both|all|other|several|many|own)\s+)?" + PLURAL + r"\b")
# "the Genghis Khan and Yuan dynasty articles"
MODIFIED_PLURAL = re.compile(r"\b(?:the|both)\s+(?P<a>(?:[\w'’.&-]+\s+){0,3}?[\w'’.&-]+)\s+(?:and|&)\s+"
                             r"(?P<b>(?:[\w'’.&-]+\s+){0,3}?[\w'’.&-]+)\s+" + PLURAL + r"\b", re.I)
# "the pieces on Genghis and on the Yuan", "the articles about the Andes and the Baltic Sea"
RELATIVE_PLURAL = re.compile(r"\b(?:the|both)\s+" + PLURAL + r"\s+(?:on|about|covering|discussing)\s+(?P<a>[^?,;:!]+?)\s+(?:and|&)\s+"
                             r"(?:(?:on|about)\s+)?(?P<b>[^?,;:!]+)", re.I)
_NOT_MODIFIERS = frozenset(
    "these those two both each every one other same whole entire full main original above uploaded following "
    "previous next new latest recent given second first third last final latter former only single whole this "
    "that the a an your my our their its his her short long old".split())
# "the prosecution's story", "the defence's account": a party's side of things (a lower-case possessive)
_PARTY_ACCOUNT = re.compile(r"\b[a-z][\w-]*['’]s\s+(?:story|account|version)$")
# a relation's phrase ends where the question goes on: its verb, an auxiliary, a question word
_PHRASE_END = frozenset(
    "say says said claim claims claimed report reports reported mention mentions mentioned tell tells told argue "
    "argues state states describe describes described cover covers think suggest suggests do does did is are was "
    "were has have had differ differs compare agree agrees and or but what who when where which why how about "
    "regarding concerning on in of versus vs than with from".split())
MAX_PHRASE = 6
# "what did the New York Times report (about X)?", "what does the Verge post?": after do-support, a document noun
# that could be a verb and ends the question, or comes before what it is about, is the verb
_VERB_AFTER_DO = re.compile(r"\b(?:did|does|do|will|would|could|can|should|might|has|have|had)\s+$", re.I)
_ENDS_AS_VERB = re.compile(r"\s*(?:[?!.]|$|(?:about|on|regarding|concerning|that|to|in)\b)")
_VERB_NOUNS = frozenset({"report", "post", "document", "text", "source", "profile"})
# words that end a noun phrase: "X's <words> report" names X's report only when none of these comes between
_NOT_IN_A_NAME = frozenset("the a an this that these those in on of at to for from with by about into over under "
                           "and or but than as".split())
STORYLINE = 3  # a modifier ("the OpenAI story") that fits this many documents equally names none of them
CLEAR_MARGIN = 0.75  # the runner-up scoring at least this share of the best makes the reference ambiguous
_META_SKIP = frozenset({"size", "mtime", "format", "encoding", "pages", "hash"})


@dataclass(frozen=True)
class Target:
    """What the question's document references resolved to. ``question`` has each reference replaced by
    "the document"; ``doc_ids`` the documents named (in Documents-list order), None when none is named;
    ``ambiguous`` names references that fitted several documents (the best was used); ``unresolved`` the
    phrases that matched no document."""

    question: str
    doc_ids: tuple[str, ...] | None = None
    references: int = 0
    ambiguous: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    start: int
    end: int
    text: str
    doc_id: str | None  # None: it matched no document
    ambiguous: bool = False


def _words(text: str) -> set[str]:
    return set(tokenize(text))


_SOURCE_LINE = re.compile(r"^[ \t]*(?:source|sources|via|published (?:by|in))[ \t]*:[ \t]*(\S[^\n]{0,78})$", re.I | re.M)
BYLINE_CHARS = 100


def source_lines(text: str) -> list[str]:
    """Where a text says it comes from: a "source: express.co.uk" line, and a short byline under its title
    ("CNBC, 2023-11-30", "by Jane Doe") - what "according to the Express" names it by."""
    out = [m.group(1) for m in _SOURCE_LINE.finditer(text)]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 2 and len(lines[1]) <= BYLINE_CHARS and re.search(r"\d|\bby\s", lines[1]):
        out.append(lines[1])
    return out


def _meta_text(doc: Document) -> str:
    name = PurePosixPath(doc.id).name
    parts = [doc.title, doc.id, name, re.sub(r"[-_.]+", " ", name), doc.source or "", *source_lines(doc.text)]
    for key, value in (doc.metadata or {}).items():
        if key not in _META_SKIP and isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


class Matcher:
    """Scores a phrase against the documents in scope (built once per question)."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs = list(docs)
        self.meta = [_words(_meta_text(d)) for d in self.docs]
        self.body = [_words(d.text) for d in self.docs]
        self.lower_meta = [_meta_text(d).lower() for d in self.docs]
        self.lower_body = [d.text.lower() for d in self.docs]

    def scores(self, phrase: str, *, meta_only: bool = False) -> list[float]:
        terms = [self._known(t) for t in dict.fromkeys(tokenize(phrase)) if t not in {"articl", "document", "stori", "report"}]
        if not terms or not self.docs:
            return [0.0] * len(self.docs)
        n = len(self.docs)
        out = []
        df = {t: sum(t in m or (not meta_only and t in b) for m, b in zip(self.meta, self.body, strict=True))
              for t in terms}
        idf = {t: math.log((n + 1) / (df[t] + 0.5)) for t in terms}
        total = sum(idf.values()) or 1.0
        exact = phrase.lower().strip()
        for i in range(n):
            s = sum(idf[t] * (1.0 if t in self.meta[i] else 0.0 if meta_only else 0.6 if t in self.body[i] else 0.0)
                    for t in terms) / total
            if len(exact) > 3 and (exact in self.lower_meta[i] or (not meta_only and exact in self.lower_body[i])):
                s += 0.25
            out.append(s)
        return out

    def _known(self, term: str) -> str:
        """``term``, or the place a demonym names when only that is in the documents ("californian" ->
        "california", "russian" -> "russia")."""
        if any(term in m or term in b for m, b in zip(self.meta, self.body, strict=True)):
            return term
        for variant in _DEMONYM.sub("a", term), term[:-1]:
            if variant != term and any(variant in m or variant in b for m, b in zip(self.meta, self.body, strict=True)):
                return variant
        return term

    def all_fitting(self, phrase: str, minimum: float = 0.5) -> list[str]:
        """Every document ``phrase`` fits (by title, source and metadata) almost as well as the best one."""
        s = self.scores(phrase, meta_only=True)
        if not s or max(s) < minimum:
            return []
        return [d.id for d, x in zip(self.docs, s, strict=True) if x >= CLEAR_MARGIN * max(s)]

    def fitting(self, phrase: str) -> int:
        """How many documents ``phrase`` fits almost as well as the best one (0: none fits)."""
        s = self.scores(phrase)
        if not s or max(s) < 0.3:
            return 0
        return sum(x >= CLEAR_MARGIN * max(s) for x in s)

    def named(self, name: str, context: str = "") -> tuple[str | None, bool]:
        """(document id, ambiguous) for a proper name ("Kyiv Post"): only documents that give the whole name, in
        their title, source, metadata or text, are candidates; (None, False) when none does."""
        key = re.sub(r"\s+", " ", name.lower().strip())
        has = [i for i in range(len(self.docs)) if key in self.lower_meta[i] or key in re.sub(r"\s+", " ", self.lower_body[i])]
        if not has:
            return None, False
        if len(has) == 1:
            return self.docs[has[0]].id, False
        s = self.scores(f"{name} {context}".strip())
        has.sort(key=lambda i: (-s[i], i))
        return self.docs[has[0]].id, s[has[1]] >= CLEAR_MARGIN * s[has[0]]

    def best(self, phrase: str, *, meta_only: bool = False, minimum: float = 0.3,
             context: str = "") -> tuple[str | None, bool]:
        """(document id, ambiguous) for ``phrase``; (None, False) when no document matches well enough. When
        several match almost equally, ``context`` (the rest of the question) breaks the tie."""
        s = self.scores(phrase, meta_only=meta_only)
        if not s or max(s) < minimum:
            return None, False
        order = sorted(range(len(s)), key=lambda i: (-s[i], i))
        top = order[0]
        close = [i for i in order if s[i] >= CLEAR_MARGIN * s[top]]
        if len(close) > 1 and context:
            c = self.scores(context)
            close.sort(key=lambda i: (-c[i], order.index(i)))
            if c[close[0]] > c[close[1]] / CLEAR_MARGIN:
                return self.docs[close[0]].id, False
        return self.docs[top].id, len(close) > 1


_DEMONYM = re.compile(r"(?<=\w{3})(?:ian|an)$")


def _trim_phrase(phrase: str) -> str:
    words: list[str] = []
    for w in phrase.split():
        if w.lower().strip("'’\"") in _PHRASE_END and words:
            break
        words.append(w)
        if len(words) >= MAX_PHRASE:
            break
    return " ".join(words).strip(" '’\".")


def _file_reference(m: re.Match[str], docs: Sequence[Document]) -> str | None:
    name = (m.group("name") or m.group("slug") or "").lower()
    stem = re.sub(r"\.[a-z]+$", "", PurePosixPath(name).name)
    for d in docs:
        doc_name = PurePosixPath(d.id).name.lower()
        if d.id.lower() == name or d.id.lower().endswith("/" + name) or doc_name == PurePosixPath(name).name:
            return d.id
        if stem and (re.sub(r"\.[a-z]+$", "", doc_name) == stem):
            return d.id
    return None


def _ordinal(m: re.Match[str], docs: Sequence[Document]) -> str | None:
    if m.group("num"):
        i = int(m.group("num")) - 1
    else:
        i = _ORDINALS[m.group("ord").lower()]
    if i >= len(docs) or -i > len(docs):
        return None
    return docs[i].id


def _overlaps(refs: Sequence[Reference], a: int, b: int) -> bool:
    return any(r.start < b and a < r.end for r in refs)


def _ordinal_groups(question: str, docs: Sequence[Document]) -> list[Reference]:
    """"the first two articles", "the first and third articles": one reference per document named."""
    refs: list[Reference] = []
    for m in FIRST_N.finditer(question):
        n = min(_COUNTS[m.group("n").lower()], len(docs))
        chosen = docs[:n] if m.group("end").lower() == "first" else docs[len(docs) - n:]
        refs += [Reference(m.start(), m.end(), m.group(), d.id) for d in chosen]
    for m in ORDINAL_LIST.finditer(question):
        if not _overlaps(refs, m.start(), m.end()):
            for o in re.findall(_ORD, m.group("ords"), re.I):
                i = _ORDINALS[o.lower()]
                ok = -len(docs) <= i < len(docs)
                refs.append(Reference(m.start(), m.end(), m.group(), docs[i].id if ok else None))
    return refs


def _shaped(question: str, docs: Sequence[Document]) -> list[Reference]:
    """References found by their shape alone: file names, then ordinals."""
    refs: list[Reference] = _ordinal_groups(question, docs)
    for m in FILE_NAME.finditer(question):
        doc_id = _file_reference(m, docs)
        if (doc_id is not None or m.group("name")) and not _overlaps(refs, m.start(), m.end()):
            refs.append(Reference(m.start(), m.end(), m.group(), doc_id))
    for m in ORDINAL.finditer(question):
        if not _overlaps(refs, m.start(), m.end()):
            refs.append(Reference(m.start(), m.end(), m.group(), _ordinal(m, docs)))
    _titled(question, docs, refs)
    return refs


TITLE_WORDS = 4  # a title this long, written out in the question, names its document (a shorter one may be the topic:
# "who was Genghis Khan?" of the article "Genghis Khan")


def _titled(question: str, docs: Sequence[Document], refs: list[Reference]) -> None:
    """A document's whole title written in the question without quotes ("Summarize the Review of the Arlen
    ferry"), with the "the" before it."""
    low = question.lower()
    for d in docs:
        title = (d.title or "").strip().rstrip(".?!")
        # a plain substring test first: this runs for every question over every document (5,000 on SciFact)
        if title.lower() not in low or len(re.findall(r"\w+", title)) < TITLE_WORDS:
            continue
        m = re.search(r"(?:\bthe\s+)?(?<![\w'’])" + re.escape(title) + r"(?![\w'’])", question, re.IGNORECASE)
        if m is not None and not _overlaps(refs, m.start(), m.end()):
            refs.append(Reference(m.start(), m.end(), m.group(), d.id))


def _quoted(question: str, matcher: Matcher, refs: list[Reference]) -> None:
    """Quoted titles and possessive outlets ("'WTF is going on at OpenAI'", "Fortune's report")."""
    for m in QUOTED.finditer(question):
        phrase = next(g for g in m.group("a", "b", "c", "d") if g)
        doc_id, ambiguous = matcher.best(phrase, meta_only=True, minimum=0.5)
        if doc_id is not None and not _overlaps(refs, m.start(), m.end()):
            refs.append(Reference(m.start(), m.end(), m.group(), doc_id, ambiguous))
    for m in POSSESSIVE.finditer(question):
        if _overlaps(refs, m.start(), m.end()):
            continue
        between = re.sub(r"'[^']*'|‘[^’]*’", " ", m.group()[len(m.group("mod")):])
        if any(w.lower() in _NOT_IN_A_NAME for w in re.findall(r"[\w]+", between)):
            continue  # "Microsoft's role in the OpenAI story": the possessive is not the document's owner
        words = m.group("mod").split()
        for i in range(len(words)):  # "Compare Fortune's report": the outlet is the shortest name that matches
            doc_id, ambiguous = matcher.best(" ".join(words[i:]), minimum=0.5, context=question)
            if doc_id is not None:
                start = m.start() + m.group().find(words[i])
                refs.append(Reference(start, m.end(), m.group()[start - m.start():], doc_id, ambiguous))
                break


def _outlet_groups(question: str, matcher: Matcher, refs: list[Reference]) -> None:
    """"Fortune's two stories": one reference per document of that outlet (title, source or metadata)."""
    for m in POSSESSIVE_PLURAL.finditer(question):
        if _overlaps(refs, m.start(), m.end()):
            continue
        words = m.group("mod").split()
        for i in range(len(words)):
            ids = matcher.all_fitting(" ".join(words[i:]))
            if ids:
                start = m.start() + m.group().find(words[i])
                refs += [Reference(start, m.end(), m.group()[start - m.start():], d) for d in ids]
                break


def _pairs(question: str, matcher: Matcher, refs: list[Reference]) -> None:
    """Two modifiers of a plural document noun: "the Genghis Khan and Yuan dynasty articles"."""
    for m in MODIFIED_PLURAL.finditer(question):
        if _overlaps(refs, m.start(), m.end()):
            continue
        for g in ("a", "b"):
            words = [w.lower() for w in m.group(g).split()]
            if all(w in _NOT_MODIFIERS or w in stopwords() for w in words):
                break
            doc_id, ambiguous = matcher.best(m.group(g), minimum=0.5)
            refs.append(Reference(m.start(), m.end(), m.group(), doc_id, ambiguous))


def _plural_relatives(question: str, matcher: Matcher, refs: list[Reference]) -> None:
    """Two documents by what each is about: "the pieces on Genghis and on the Yuan" (each phrase fits one
    document, not a storyline several tell)."""
    for m in RELATIVE_PLURAL.finditer(question):
        phrases = [_trim_phrase(m.group(g)) for g in ("a", "b")]
        if _overlaps(refs, m.start(), m.end()) or not all(phrases) or \
                any(matcher.fitting(p) != 1 for p in phrases):
            continue
        found = [matcher.best(p, minimum=0.5) for p in phrases]
        ids = [doc_id for doc_id, ambiguous in found if doc_id is not None and not ambiguous]
        if len(set(ids)) == 2:
            end = m.start("b") + m.group("b").find(phrases[1]) + len(phrases[1])
            refs += [Reference(m.start(), end, question[m.start():end], d) for d in ids]


def _phrased(question: str, matcher: Matcher, refs: list[Reference]) -> None:
    """References by a phrase ("the article quoting X", "the Express article", "according to X"), added to
    ``refs`` where they do not overlap one found before."""
    _quoted(question, matcher, refs)
    _outlet_groups(question, matcher, refs)
    _pairs(question, matcher, refs)
    _plural_relatives(question, matcher, refs)
    for m in RELATIVE.finditer(question):
        phrase = _trim_phrase(m.group("phrase"))
        if phrase and not _overlaps(refs, m.start(), m.end()):
            doc_id, ambiguous = matcher.best(phrase, context=question)
            end = m.start("phrase") + m.group("phrase").find(phrase) + len(phrase)
            refs.append(Reference(m.start(), end, m.group()[: end - m.start()], doc_id, ambiguous))
    _modified(question, matcher, refs)
    for m in ACCORDING.finditer(question):
        if _overlaps(refs, m.start(), m.end()):
            continue
        # "according to X" names a document only when X is one's title or source; "in X's article" may be its text
        own = m.group("own")
        doc_id, ambiguous = matcher.best(own or m.group("phrase"), meta_only=own is None, minimum=0.5)
        if doc_id is not None:  # "according to" stays: "... according to the document" reads as the question did
            lead = re.match(_ACCORDING_LEAD + r"\s+", m.group())
            start = m.start() + (lead.end() if lead else 0)
            refs.append(Reference(start, m.end(), m.group()[start - m.start():], doc_id, ambiguous))


def _reporter(question: str, m: re.Match[str], matcher: Matcher, refs: list[Reference]) -> None:
    """"What did the New York Times report?": the noun is the question's verb; the modifier names a document only
    as its title or source ("what did the Express report?"), else it is someone who reported."""
    if not _overlaps(refs, m.start(), m.end("mod")):
        doc_id, ambiguous = matcher.best(m.group("mod"), meta_only=True, minimum=0.5)
        if doc_id is not None:
            refs.append(Reference(m.start(), m.end("mod"), question[m.start():m.end("mod")], doc_id, ambiguous))


def _modified(question: str, matcher: Matcher, refs: list[Reference]) -> None:
    """References by a modifier before a document noun ("the Express article", "the New York Times piece")."""
    for m in MODIFIED.finditer(question):
        words = [w.lower().strip("'’") for w in m.group("mod").split()]
        if _PARTY_ACCOUNT.search(m.group()):
            continue  # "the prosecution's story": what a party tells, not a document ("the Verge's story" is one)
        if m.group().split()[-1].lower() in _VERB_NOUNS and words and re.fullmatch(PLURAL, words[-1]):
            continue  # "what the articles report about X": the documents and their verb, not a document
        if (m.group().split()[-1].lower() in _VERB_NOUNS and _VERB_AFTER_DO.search(question[: m.start()])
                and _ENDS_AS_VERB.match(question[m.end():])):
            _reporter(question, m, matcher, refs)
            continue
        if not all(w in _NOT_MODIFIERS or w in stopwords() for w in words) and not _overlaps(refs, m.start(), m.end()):
            noun = m.group().split()[-1]
            paper = re.fullmatch(PAPERS, noun, re.IGNORECASE) is not None
            if noun[:1].isupper() and not paper:  # "the Kyiv Post": the noun is part of a name, which a document
                name = " ".join(m.group().split()[1:])  # must give whole
                doc_id, ambiguous = matcher.named(name, context=question)
                refs.append(Reference(m.start(), m.end(), m.group(), doc_id, ambiguous))
                continue
            if matcher.fitting(m.group("mod")) >= STORYLINE:
                continue  # "the OpenAI story": a thread several documents tell, not one of them
            doc_id, ambiguous = matcher.best(m.group("mod"), context=question)
            if doc_id is None and paper:
                continue  # "the trade agreement" of no document: a thing the documents talk about
            refs.append(Reference(m.start(), m.end(), m.group(), doc_id, ambiguous))


# "the lease", "my CV", "our itinerary": a paper named by its kind alone
BARE_PAPER = re.compile(r"\b(?:the|my|our|your|this|that)\s+(?P<noun>" + PAPERS + r")\b(?!\s+(?:of|for|to|from|on|about)\b)",
                        re.I)
PAPER_FIT = 0.6  # the paper's kind this well matched by a document's title, file name and source names it


def _bare_papers(question: str, matcher: Matcher, refs: list[Reference]) -> None:
    """References by a paper's kind alone ("Summarize the lease.", "What are the skills in my CV?"): the one document
    whose title, file name or source it fits (``PAPER_FIT``, no other close); nothing when none or several do."""
    for m in BARE_PAPER.finditer(question):
        if _overlaps(refs, m.start(), m.end()):
            continue
        doc_id, ambiguous = matcher.best(m.group("noun"), meta_only=True, minimum=PAPER_FIT)
        if doc_id is not None and not ambiguous:
            refs.append(Reference(m.start(), m.end(), m.group(), doc_id))


def find_references(question: str, docs: Sequence[Document]) -> list[Reference]:
    """The document references in ``question``, resolved against ``docs`` (in Documents-list order)."""
    refs = _shaped(question, docs)
    phrased = any(p.search(question) for p in (RELATIVE, MODIFIED, ACCORDING, QUOTED, POSSESSIVE, POSSESSIVE_PLURAL,
                                                MODIFIED_PLURAL, RELATIVE_PLURAL))
    bare = len(docs) > 1 and BARE_PAPER.search(question) is not None
    matcher = Matcher(docs) if phrased or bare else None  # built once: it reads every document's words
    if phrased and matcher is not None:
        _phrased(question, matcher, refs)
    if bare and matcher is not None:
        _bare_papers(question, matcher, refs)
    return sorted(refs, key=lambda r: r.start)


SUMMARY_TITLE = 0.6  # a summary's topic this well matched by one document's title, file name and source names it


def summarised_document(question: str, topic: str, docs: Sequence[Document]) -> Target | None:
    """"Summarize the shared MIME info specification" of a document titled "Shared MIME-info Database", filed as
    shared-mime-info-spec.pdf: the summary's topic resolved to the one document its distinctive words fit (by title,
    file name, source: ``SUMMARY_TITLE``, with no other close); None when none or several do, or when the question
    asks what the documents say *about* the topic (then it is a topic)."""
    if re.search(r"\babout\b", question, re.IGNORECASE) or len(docs) < 2:
        return None
    found, ambiguous = Matcher(docs).best(topic, meta_only=True, minimum=SUMMARY_TITLE)
    if found is None or ambiguous:
        return None
    m = re.search(re.escape(topic), question, re.IGNORECASE)
    rest = question[: m.start()] + "the document" + question[m.end() :] if m else question
    return Target(rest, doc_ids=(found,), references=1)


def speaking_document(question: str, speaker: str, docs: Sequence[Document]) -> Target | None:
    """The question with its "speaker" resolved to the one document whose title it is, when the speaker is a thing
    rather than someone ("What does the Apache license say about patents?" of a document titled "Apache License":
    its last word written in lower case); None otherwise ("What did Genghis Khan say?" asks for his words even
    beside an article titled "Genghis Khan")."""
    m = re.search(r"(?:\bthe\s+)?(?<![\w'’])" + re.escape(speaker.removeprefix("the ")) + r"(?![\w'’])", question,
                  re.IGNORECASE)
    if m is None or not m.group().split()[-1][:1].islower():
        return None
    bare = " ".join(re.findall(r"\w+", m.group().lower().removeprefix("the ")))
    fit = [d.id for d in docs if " ".join(re.findall(r"\w+", (d.title or "").lower().removeprefix("the "))) == bare]
    if len(fit) != 1:
        return None
    return Target(question[: m.start()] + "the document" + question[m.end() :], doc_ids=(fit[0],), references=1)


def resolve(question: str, docs: Sequence[Document]) -> Target:
    """The question with its document references resolved (see ``Target``)."""
    refs = find_references(question, docs)
    if not refs:
        return Target(question)
    out, cursor = [], 0
    for r in refs:
        if r.start < cursor:  # one span naming several documents ("the first two articles")
            continue
        out.append(question[cursor : r.start])
        out.append("the document")
        cursor = r.end
    out.append(question[cursor:])
    named = [r.doc_id for r in refs if r.doc_id is not None]
    order = {d.id: i for i, d in enumerate(docs)}
    doc_ids = tuple(sorted(set(named), key=lambda d: order[d])) if named else None
    return Target(
        question="".join(out), doc_ids=doc_ids, references=len(refs),
        ambiguous=tuple(r.text for r in refs if r.ambiguous and r.doc_id is not None),
        unresolved=tuple(dict.fromkeys(r.text for r in refs if r.doc_id is None)),
    )
