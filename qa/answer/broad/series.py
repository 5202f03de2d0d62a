"""Items of the type a list asks for ("which animals", "Temüjin's relatives", "the risk categories"), found where
the text itself lists things of that type: a series ("A, B and C") that a word for the type opens, and a name a
word for the type stands before.

- **A series opened by the type**: "four risk categories: cybersecurity, persuasion, model autonomy and CBRN",
  "oceanic species such as bottlenose dolphins, orcas, and beaked whales", "the four Han Generals Zhang Rou, Yan
  Shi, Shi Tianze, and Liu Heima". The opening word (the *anchor*) is the asked noun itself, or a word whose
  vector is close to it ("species" for animals, "brothers" for relatives: ``SIMILAR``), at most ``GAP_WORDS``
  words before a cue (``qa/answer/data/broad_text.json``: "such as", "including", a colon, "named", ...) or right
  before a run of capitalised names. Items are the series' parts (parentheses and quotes left out), lower-case
  noun phrases as well as names.
- **A name after such a word**: "his mother Hoelun", "his future wife Börte".
- **A kind of it**: a modifier and a word closer still to the noun (``KIND_SIMILAR``): "humpback whales".

Every document in scope is read; an item is kept once, with the sentence where it first appears.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...text.tokens import stopwords
from .lists import Item, also_in, close_spelling
from .pool import Pool, cues

logger = logging.getLogger(__name__)

WordSim = Callable[[str, Sequence[str]], np.ndarray]  # (noun, words) -> each word's similarity to the noun

SIMILAR = 0.45  # a word this close to the asked noun (word vectors) names the same type ("brothers" ~ relatives)
GAP_WORDS = 10  # the noun stands at most this many words before the series' cue ("such as", "including")
PUNCT_GAP_WORDS = 3  # ... or this many before a comma or colon that opens it
MAX_ITEM_WORDS = 6
_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_CAPITAL = re.compile(r"[A-Z0-9]")
_CLAUSE_END = re.compile(r"[.;!?]")
_LEAD = re.compile(r"^(?:(?:the|a|an|his|her|their|its|our|some|certain|several|other|two|three|four|five|both)\s+)+",
                   re.IGNORECASE)
_POSSESSIVE_BEFORE = re.compile(r"(?:\b(?:his|her|their|its|my|our|your)|\w['’]s?)\s+(?:[a-z-]+\s+)?$", re.IGNORECASE)
_NAME_AFTER_ROLE = re.compile(r"\s+(?:(?:his|her|their|its|the|future|late|older|younger|elder|then)\s+)*"
                              r"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,3})")


@dataclass(frozen=True)
class Series:
    anchor: str  # the word that opens it ("categories", "species")
    items: tuple[tuple[str, int], ...]  # (item, its offset in the sentence)


def head_noun(topic: str) -> str:
    """The noun a list asks for, from its topic: "risk categories openai's framework uses" -> "categories",
    "temüjin's relatives" -> "relatives", "han chinese and khitan generals" -> "generals"."""
    words = topic.lower().replace("’", "'").split()
    while words and re.search(r"'s?$", words[0]):  # the possessor: "temüjin's relatives"
        words = words[1:]
    cut = next((i for i, w in enumerate(words) if i and (re.search(r"'s?$", w) or w in _AFTER_HEAD)), len(words))
    words = words[:cut]
    plural = [w for w in words if re.search(r"[^s]s$|ies$|people$|men$", w)]
    return (plural[0] if plural else words[-1] if words else "").strip("'")


_AFTER_HEAD = frozenset("of in on for from that which who whose where when with by to at about under across "
                        "mentioned named listed given did does do is are was were have has had".split())


def possessor(topic: str) -> str:
    """Whose items a list asks for: "temüjin's relatives" -> "temüjin" ("" when none)."""
    m = re.match(r"^((?:[^\s']+\s){0,2}?[^\s']+)'s?\s", topic.replace("’", "'"))
    if m is None or head_noun(topic) not in topic[m.end():].split():  # "categories openai's framework uses"
        return ""
    return m.group(1)


def _singular(word: str) -> str:
    word = word.lower()
    for plural, single in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", "")):
        if word.endswith(plural) and len(word) > len(plural) + 2:
            return word[: len(word) - len(plural)] + single
    return word


def _mask(text: str) -> str:
    """``text`` with parentheses, brackets, quote marks and the commas of figures ("5,000") blanked (offsets kept)."""
    out = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", lambda m: " " * len(m.group()), text)
    out = re.sub(r"(?<=\d),(?=\d{3}\b)", " ", out)
    out = re.sub(r"[“”\"‘]|(?<!\w)['’]|['’](?!\w)", " ", out)
    return re.sub(r"[^\x00-\u024f]", " ", out)  # scripts a name is glossed in ("蕭札剌")


def _is_anchor(word: str, noun: str, close: dict[str, float], role: bool = False) -> bool:
    """The noun itself, or a noun close to it: a plural ("species" for animals) or a word that names what follows
    ("sister named ...", "mother Hoelun": ``role``)."""
    return _lexical(word, noun) or close.get(word.lower().split("-")[-1], 0.0) >= SIMILAR and \
        (role or bool(re.search(r"[^s]s$", word)))


def _lexical(word: str, noun: str) -> bool:
    """Whether ``word`` is the noun itself (either number; "half-brothers" ends in "brothers")."""
    return _singular(word.lower().split("-")[-1]) == _singular(noun)


def series_in(text: str, noun: str, close: dict[str, float]) -> list[Series]:
    """The series of ``text`` that a word for ``noun`` opens (``close``: word -> similarity to ``noun``)."""
    masked = _mask(text)
    cue_re = _cue_pattern()
    words = list(_WORD.finditer(masked))
    out: list[Series] = []
    taken: set[int] = set()
    for w in words:
        named = re.match(r"\s+(?:named|called)\b", masked[w.end():]) is not None
        if not _is_anchor(w.group(), noun, close, role=named):
            continue
        clause = masked[w.end():]
        stop = _CLAUSE_END.search(clause)
        clause = clause[: stop.start()] if stop else clause
        starts = []
        if re.match(r"\s+[A-Z]", clause) and not re.match(r"\s+(?:of|and|or)\b", clause):
            starts.append(w.end())  # "Han Generals Zhang Rou, Yan Shi, ..."
        starts += _cue_ends(clause, cue_re, w.end(), GAP_WORDS if _lexical(w.group(), noun) else PUNCT_GAP_WORDS)
        for start in starts:
            if start in taken:
                continue
            items = _items(masked, start, single=_single_allowed(masked, start))
            if items:
                taken.add(start)
                out.append(Series(w.group(), tuple((text[a:b], a) for a, b in items)))
                break
    return out


@lru_cache(maxsize=1)
def _cue_pattern() -> re.Pattern[str]:
    """A series' cue: a word cue of ``series_cues`` (longest first) or a comma or colon."""
    cue = cues()["series_cues"]
    words_cue = "|".join(re.escape(c) for c in sorted(cue, key=len, reverse=True) if c not in {",", ":"})
    return re.compile(r"(?<![\w-])(?:" + words_cue + r")(?=\s)|[,:]", re.IGNORECASE)


def _cue_ends(clause: str, cue_re: re.Pattern[str], offset: int, gap_words: int) -> list[int]:
    """Where a series may start after an anchor: after its first word cue ("such as", "including") within
    ``gap_words`` words (the noun itself: ``GAP_WORDS``; a word close to it: ``PUNCT_GAP_WORDS``), else after a
    comma or colon within ``PUNCT_GAP_WORDS``."""
    found = []
    for m in cue_re.finditer(clause):
        gap = len(_WORD.findall(clause[: m.start()]))
        if m.group() in {",", ":"}:
            if gap <= PUNCT_GAP_WORDS:
                found.append((1, m.end()))
        elif gap <= gap_words:
            found.append((0, m.end()))
            break
    return [offset + end for _, end in sorted(found)[:2]]


def _single_allowed(masked: str, start: int) -> bool:
    """One item is a series after "named", "called" or a colon ("one sister named Temülen")."""
    return re.search(r"(?:named|called|:)\s*$", masked[:start], re.IGNORECASE) is not None


def _items(masked: str, start: int, single: bool = False) -> list[tuple[int, int]]:
    """The (start, end) of each part of the series that begins at ``start`` of ``masked``."""
    rest = masked[start:]
    stop = re.search(r"[.;!?:—–]|\s-\s", rest)
    rest = rest[: stop.start()] if stop else rest
    parts: list[tuple[int, int]] = []
    pos = 0
    last = False
    for m in re.finditer(r",\s*(?:and|or)\b[\s,]*|,\s*|\s+(?:and|or)\s+|$", rest):
        a, b = pos, m.start()
        pos = m.end()
        span = _part(rest, a, b, capitals=bool(parts) and _capitalised(rest[parts[0][0]:parts[0][1]]),
                     final=last or not m.group(), lengths=[len(rest[x:y].split()) for x, y in parts])
        if span is None:
            break
        parts.append(span)
        if last or not m.group():
            break
        last = bool(re.search(r"\b(?:and|or)\s+$", m.group()))
    if len(parts) < (1 if single else 2):
        return []
    return [(start + a, start + b) for a, b in parts]


def _capitalised(part: str) -> bool:
    return all(_CAPITAL.match(w) for w in part.split() if w.lower() not in _JOINERS)


_JOINERS = frozenset({"of", "de", "da", "del", "der", "van", "von", "al", "bin", "la", "le", "du", "the", "and"})


def _part(rest: str, a: int, b: int, *, capitals: bool, final: bool, lengths: Sequence[int]) -> tuple[int, int] | None:
    """One part of a series as (start, end) in ``rest``, its leading determiner left out; the last part is
    cut where its phrase ends (names: the capitalised run; else as long as the others, up to a plural)."""
    raw = rest[a:b]
    verb = re.match(r"^.*\b(?:being|are|were|is|was|include|includes|including)\s+", raw) if not lengths else None
    if verb is not None:  # "exceptions being the threatened mountain tapir": the item after the verb
        a += verb.end()
        raw = rest[a:b]
    lead = _LEAD.match(raw.lstrip())
    a += len(raw) - len(raw.lstrip()) + (lead.end() if lead else 0)
    words = list(_WORD.finditer(rest[a:b]))
    if not words or len(words) > MAX_ITEM_WORDS and not final or words[0].group().lower() in stopwords():
        return None  # "being real and not fictional": no series
    if capitals:
        run: list[re.Match[str]] = []
        for w in words:
            if not (_CAPITAL.match(w.group()) or (run and w.group().lower() in _JOINERS - {"and", "the"})):
                break
            run.append(w)
        if not run:  # "the live-action Barbie movie" among names: the whole part, when it holds a name
            mixed = not final and any(_CAPITAL.match(w.group()) for w in words)
            return (a + words[0].start(), a + words[-1].end()) if mixed else None
        return a + run[0].start(), a + run[-1].end()
    if final:  # as long as the longest part before it, and one plural more ("beaked whales visit ...")
        keep = words[: max(1, max(lengths, default=MAX_ITEM_WORDS))]
        if len(words) > len(keep) and re.search(r"[^s]s$", words[len(keep)].group()) and words[len(keep)].group().islower():
            keep = words[: len(keep) + 1]
        plural = next((i for i, w in enumerate(keep) if re.search(r"[^s]s$", w.group()) and i), None)
        keep = keep[: plural + 1] if plural is not None else keep
        return a + keep[0].start(), a + keep[-1].end()
    return a + words[0].start(), a + words[-1].end()


def role_names(text: str, noun: str, close: dict[str, float]) -> list[tuple[str, int]]:
    """Names a word for ``noun`` stands before, a possessive before it ("his mother Hoelun", "his future wife
    Börte", "Temujin's mother Hoelun")."""
    masked = _mask(text)
    out = []
    for w in _WORD.finditer(masked):
        if w.group()[:1].isupper() or not _is_anchor(w.group(), noun, close, role=True) or \
                not _POSSESSIVE_BEFORE.search(masked[max(0, w.start() - 40):w.start()]):
            continue
        m = _NAME_AFTER_ROLE.match(masked, w.end())
        if m is not None:
            name = re.sub(r"(?:’s|'s)$", "", m.group(1))
            out.append((name, m.start(1)))
    return out


_NAME_RUN = r"[A-Z][\w’'&.-]*(?:\s+[A-Z][\w’'&.-]*){0,3}"
_AT_NAME = re.compile(r"\s+(?:at|from|with)\s+(?:the\s+)?(" + _NAME_RUN + r")")
_NAME_BEFORE = re.compile(r"(?:^|(?<=\s))(" + _NAME_RUN + r")\s+$")
_NOT_BODIES = frozenset("two three four five six seven eight nine ten dozens hundreds many some several most all both few "
                        "other others these those such top senior leading however but and".split())
_VIA = re.compile(r"\s+(?:site|firm|house|group|provider|company|shop|outfit|platform)\s+(" + _NAME_RUN + r")")


def affiliations(text: str, noun: str) -> list[tuple[str, int]]:
    """The bodies the word ``noun`` itself ties people or data to: "analysts at Mizuho", "JPMorgan Chase analysts" (a
    plural), "crypto analyst site CoinGecko" (either number) for analysts."""
    masked = _mask(text)
    out = []
    for w in _WORD.finditer(masked):
        if not _lexical(w.group().lower(), noun) or w.group()[:1].isupper():  # "ruled by Great Khans": a title
            continue
        plural = bool(re.search(r"[^s]s$", w.group()))  # "Song dynasty" is a name: ``named_kinds``
        for m in (_AT_NAME.match(masked, w.end()) if plural else None, _VIA.match(masked, w.end())):
            if m is not None:
                out.append((m.group(1).rstrip("."), m.start(1)))
        before = _NAME_BEFORE.search(masked[max(0, w.start() - 60):w.start()]) if plural else None
        if before is not None and before.group(1).split()[0].lower() not in stopwords() | _NOT_BODIES:
            out.append((before.group(1), max(0, w.start() - 60) + before.start(1)))
    return out


KIND_SIMILAR = 0.55  # "humpback whales" is a kind of animal: a modified word this close to the asked noun


def kind_phrases(text: str, noun: str, close: dict[str, float]) -> list[tuple[str, int]]:
    """Kinds of ``noun`` the sentence names by a modifier and a plural close to it ("humpback whales",
    "Atlantic white-sided dolphins" for animals); a word that opens a series is not one."""
    masked = _mask(text)
    words = list(_WORD.finditer(masked))
    out = []
    for i, w in enumerate(words):
        low = w.group().lower()
        if w.group()[:1].isupper() or not re.search(r"[^s]s$", low) or close.get(low.split("-")[-1], 0.0) < KIND_SIMILAR or \
                _singular(low) == _singular(noun) or re.match(r"\s*(?:[,:]|such as|including|like)", masked[w.end():]):
            continue
        j = i
        while j > 0 and i - j < 2 and masked[words[j - 1].end():words[j].start()].strip() == "" and \
                _modifier(words[j - 1].group()):
            j -= 1
        if j < i:
            out.append((text[words[j].start():w.end()], words[j].start()))
    return out


def named_kinds(text: str, noun: str) -> list[tuple[str, int]]:
    """Names that end with the asked noun itself, in the singular: "the Song dynasty", "Möngke Khan", "the Great
    Belt Bridge" for dynasties, khans, bridges (one to three capitalised words before it, no article); names that a
    word for a kind of it opens ("Mount Lyell" for peaks)."""
    one = _singular(noun.lower())
    if len(one) < 3:
        return []
    out = []
    for m in re.finditer(r"(?<![\w’'-])((?:[A-Z\u00c0-\u024f][\w’'-]*\s+){1,3})(?i:" + re.escape(one) + r")(?![\w-])",
                         text):
        words = [(w.group(), m.start(1) + w.start()) for w in re.finditer(r"\S+", m.group(1))]
        while words and words[0][0].lower() in _NOT_MODIFIERS:
            words = words[1:]  # "The Yuan dynasty": Yuan
        if words and not any(re.search(r"['’]s?$", w) for w, _ in words):
            start = words[0][1]
            out.append((text[start:m.end()], start))
    # names a word for a kind of ``noun`` opens: "Mount Lyell" for peaks, "Lake Tahoe" for lakes (``name_heads``)
    heads = [g[0] for g in cues()["name_heads"] if one in g[1:]]
    if heads:
        opener = r"(?:" + "|".join(re.escape(h) for h in heads) + r")\.?"
        for m in re.finditer(r"(?<![\w’'-])(?i:" + opener + r")\s+[A-Z\u00c0-\u024f][\w’'-]*(?:\s+[A-Z\u00c0-\u024f][\w’'-]*){0,2}",
                             text):
            if m.group()[:1].isupper():
                out.append((re.sub(r"(?:’s|'s)$", "", m.group()), m.start()))
    return out


def _spelled_alike(a: str, b: str) -> bool:
    """Two names of as many words, each a close spelling of the other's (``lists.close_spelling``)."""
    wa, wb = a.split(), b.split()
    return a != b and len(wa) == len(wb) and wa[0][:1].isalpha() and \
        all(close_spelling(x, y) for x, y in zip(wa, wb, strict=True))


def _modifier(word: str) -> bool:
    """Whether ``word`` may modify a noun ("humpback", "Atlantic", "white-sided"; not "the", "eventually",
    "Temujin's", "two")."""
    low = word.lower()
    return low not in _NOT_MODIFIERS and not low.endswith("ly") and not re.search(r"['’]s?$", low) and \
        not word[:1].isdigit() and not _degree(low)


# a comparative or superlative says how much, not what kind: "the highest elevations", "lower elevations"
_COMPARATIVES = frozenset("lower higher upper greater larger smaller bigger older newer later earlier further farther "
                          "lesser wider narrower deeper shallower longer shorter".split())
_EST_NOUNS = frozenset("forest interest harvest contest protest request conquest southwest northwest midwest".split())


def _degree(low: str) -> bool:
    return low in _COMPARATIVES or (low.endswith("est") and len(low) > 5 and low not in _EST_NOUNS)


_NOT_MODIFIERS = frozenset("the a an of in on to and or but by for from with at as is are was were be been has have "
                           "before after when while since under during until unlike without against "
                           "had his her their its our your my this that these those some any many few more most other "
                           "such no not all both each every which who whose what when where there here very also only "
                           "two three four five six seven eight nine ten one".split())


# words a noun phrase does not end with: an item ending so was cut inside a phrase
_OPEN_ENDS = frozenset("than to of the a an and or more less from with by for in on at as into onto".split())


def typed_items(pool: Pool, rows: Sequence[int], noun: str, similarity: WordSim) -> list[Item]:
    """The items of type ``noun`` in the pool sentences ``rows``: the parts of the series a word for it opens,
    the names such a word stands before and the kinds of it named by a modifier, each once (where it first appears), in reading order."""
    if not noun:
        return []
    vocab = sorted({w.lower().split("-")[-1] for r in rows for w in _WORD.findall(pool.sentences[r].text)
                    if not w[:1].isupper()})
    sims = similarity(noun, vocab) if vocab else np.zeros(0)
    close = {w: float(s) for w, s in zip(vocab, sims, strict=True)}
    found: list[tuple[int, int, str]] = []
    for r in rows:
        text = pool.sentences[r].text
        for s in series_in(text, noun, close):
            found += [(r, at, item) for item, at in s.items]
        found += [(r, at, name) for name, at in role_names(text, noun, close)]
        found += [(r, at, phrase) for phrase, at in kind_phrases(text, noun, close)]
        found += [(r, at, name) for name, at in named_kinds(text, noun)]
        found += [(r, at, name) for name, at in affiliations(text, noun)]
    found.sort()
    seen: dict[str, Item] = {}
    for r, _, item in found:
        key = re.sub(r"\W+", " ", item.lower()).strip()
        if key.split()[-1:] and key.split()[-1] in _OPEN_ENDS:
            continue  # a fragment cut inside a phrase ("feet (1,500 m) to more than"), not an item
        twin = next((k for k in seen if k == key or _spelled_alike(key, k)), None)
        if twin is not None:  # "Ogödei Khan" is "Ögedei Khan" (the first spelling kept); another document's too
            seen[twin] = also_in(seen[twin], r, pool)
            continue
        if key and _singular(key) != _singular(noun):
            seen[key] = Item(item.strip(" ,"), "other", r)
    logger.debug("typed items of %r: %d", noun, len(seen))
    return list(seen.values())
