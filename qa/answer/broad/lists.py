"""Which places / people / organisations / dates / numbers are mentioned? The items found, each with the quote
where it appears.

Names are runs of capitalised words (a sentence's first word only when the documents never write it in lower
case: "Today", "However" are not names). Each is typed by cues (``qa/answer/data/broad_text.json``): a place
when the gazetteer knows it, a place word follows it ("the Donbas region") or a preposition of place precedes
it ("in Izyum"); an organisation when it holds an organisation word ("Ministry", "Times", "Agency") or is an
acronym; a person when a title precedes it ("General", "President", "adviser"), a speech verb is next to it
("said Aretovych") or it is two or three plain capitalised words; a person's surname alone joins the full
name. Dates and numbers are found by their shapes (a month, a weekday, a year; a figure with what it counts).
``python -m qa eval broad`` measures the lists on the dev and held-out questions.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from ...text.tokens import stopwords
from ..candidates import Sentence
from .ask import plain
from .pool import Pool, cues

MAX_ITEMS = 25
_COMPASS = frozenset("north south east west northern southern eastern western north-east north-west south-east "
                     "south-west northeast northwest southeast southwest".split())
FUZZY = 0.78  # SequenceMatcher ratio of two spellings of one name ("Aretovych" / "Aretovich", "Valeriy" / "Valery")
_NAME = re.compile(r"(?<![\w’'])(?:[A-Z][\w’'.-]*[\w]|[A-Z])(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|la|le|du)\s+)?"
                   r"(?:[A-Z][\w’'.-]*[\w]|[A-Z]\.?))*")
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
DATE = re.compile(
    r"\b(?:(?:early|mid|late|the end of|the beginning of|the start of)[\s-]+)?(?:" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+\d{4})?|" + _MONTH + r"(?:\s+\d{4})?"
    r"|" + _WEEKDAY + r"|(?:in|since|by|until|from|of|during)\s+(?:19|20)\d{2}s?|\d{4}-\d{2}-\d{2}|(?:19|20)\d{2}-(?:19|20)?\d{2})\b")
NUMBER = re.compile(
    r"(?:\b(?:up to|more than|less than|at least|about|around|over|nearly|almost|some|roughly|approximately)\s+)?"
    r"(?:[$€£]\s?)?\b\d[\d,.]*(?:\s?(?:%|per ?cent|percent|million|billion|trillion|thousand|bn|m|k)\b)?"
    r"(?:\s+(?!(?:and|or|the|a|of|to|in|on|at|for|by|from)\b)[a-z][\w-]*){0,2}"
    r"|\b(?:dozens|hundreds|thousands|millions|billions|scores)\s+of\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    text: str  # as written in the quote
    kind: str  # place / person / org / date / number
    row: int  # the pool sentence it was found in
    also: tuple[int, ...] = ()  # a sentence of each other document that names it too


def also_in(item: Item, row: int, pool: Pool) -> Item:
    """``item`` also named in pool sentence ``row``: kept when that is another document's first mention of it."""
    doc = pool.sentences[row].doc_id
    if doc == pool.sentences[item.row].doc_id or any(pool.sentences[r].doc_id == doc for r in item.also):
        return item
    return replace(item, also=(*item.also, row))


def _before(text: str, start: int, n: int = 2) -> list[str]:
    return [w.lower().strip(".") for w in re.findall(r"[\w’'.]+", text[max(0, start - 40):start])][-n:]


def _after(text: str, end: int, n: int = 1) -> list[str]:
    return [w.lower() for w in re.findall(r"[\w’']+", text[end:end + 30])][:n]


def _type(name: str, text: str, start: int, end: int, lower_words: set[str]) -> str | None:
    """place / person / org, or None when nothing says."""
    c = cues()
    words = [w.lower().strip(".’'") for w in name.split()]
    before, after = _before(text, start), _after(text, end)
    if name in _gazetteer():
        return "place"
    if any(w in c["org_words"] for w in words) or (re.fullmatch(r"[A-Z]{2,6}", name) and name not in _gazetteer()):
        return "org"
    if after and after[0] in c["place_words"] and after[0] not in {"east", "west", "north", "south"}:
        return "place"
    titled = any(w in c["person_titles"] for w in before)
    speaks = bool(after and after[0] in c["person_verbs"]) or bool(before and before[-1] in c["person_verbs"])
    placed = (bool(before and before[-1] in c["place_preps"]) or len(before) == 2 and before[1] == "of" and before[0] in c["place_of_heads"]) \
        and len(words) <= 2 and not re.match(r"\s*\d", text[end:])
    plain = 2 <= len(words) <= 3 and not any(w in lower_words for w in words)
    common = common_word(name, lower_words)
    return "person" if (titled or speaks) and not common else "place" if placed else "person" if plain else None


def common_word(name: str, lower_words: set[str]) -> bool:
    """Whether ``name`` is one word the documents also write in lower case ("Framework", "Security"): no one's
    name ("Teng", "Zhao" never are)."""
    words = name.split()
    return len(words) == 1 and words[0].lower().strip(".’'") in lower_words


def _gazetteer() -> frozenset[str]:
    return frozenset(cues()["places"])


def _names(s: Sentence, lower_words: set[str]) -> list[tuple[str, int, int]]:
    stop = stopwords()
    out = []
    for m in _NAME.finditer(s.text):
        name, start = m.group(), m.start()
        words = name.split()
        # a sentence's (or clause's) first word is a name only when the documents never write it in lower case
        while words and (words[0].lower() in stop or (words[0].lower() in lower_words and
                                                      not re.search(r"[\w,]\s+$", s.text[:start]))):
            start += len(words[0]) + 1
            words = words[1:]
            name = " ".join(words)
        titles = cues()["person_titles"]
        while len(words) > 1 and words[0].lower().strip(".") in titles and not (  # "General Valery Gerasimov"
                len(words) == 2 and words[1].lower() in cues()["org_words"]):  # but "General Staff" is one body
            start += len(words[0]) + 1
            words = words[1:]
            name = " ".join(words)
        last_title = max((i for i, w in enumerate(words[:-1]) if w.lower().strip(".") in titles), default=-1)
        if last_title >= 0 and not (last_title == len(words) - 2 and words[-1].lower() in cues()["org_words"]):
            # "Ukrainian President Volodymyr Zelensky", "Russian Defense Minister Sergei Shoigu" ("General Staff" stays)
            start += len(" ".join(words[:last_title + 1])) + 1
            words = words[last_title + 1:]
            name = " ".join(words)
        while len(words) > 1 and words[0] in {"of", "de", "da", "del", "der", "van", "von", "al", "bin", "la", "le", "du"}:
            start += len(words[0]) + 1
            words = words[1:]
            name = " ".join(words)
        before = _before(s.text, start)
        if len(words) >= 3 and len(before) == 2 and before[1] == "of" and before[0] in titles:
            # "minister of Internal Affairs Arsen Avakov", "Secretary of State Antony Blinken": the office, then the person
            start += len(" ".join(words[:-2])) + 1
            words = words[-2:]
            name = " ".join(words)
        if len(words) == 1 and not re.search(r"[\w,]\s+$", s.text[:start]) and name not in _gazetteer() and \
                not re.search(r"[a-z,]\s+" + re.escape(name) + r"\b", " ".join(x.text for x in (s,))):
            continue  # a lone capitalised word opening a sentence ("During", "However")
        name = re.sub(r"(?:’s|'s)$", "", name).rstrip(".")
        if not name or len(name) < 3 or re.fullmatch(_MONTH + "|" + _WEEKDAY, name):
            continue
        if all(w.lower().strip(".") in cues()["person_titles"] for w in name.split()) or name.lower() in _COMPASS:
            continue  # a title alone; a direction alone ("the West district")
        out.append((name, start, start + len(name)))
    return out


def find_items(pool: Pool, rows: Sequence[int], item: str) -> list[Item]:
    """The items of type ``item`` in the pool sentences ``rows`` (in order of first appearance)."""
    if item in ("date", "number"):
        pattern = DATE if item == "date" else NUMBER
        found = [Item(_trim(m.group()), item, r) for r in rows for m in pattern.finditer(pool.sentences[r].text)]
        return _unique([f for f in found if re.search(r"\d|[A-Z]|dozens|hundreds|thousands|millions", f.text)], pool)
    lower_words = pool.lower_words()
    typed: list[Item] = []
    for r in rows:
        s = pool.sentences[r]
        for name, a, b in _names(s, lower_words):
            kind = _type(name, s.text, a, b, lower_words)
            if kind is not None and item in ("name", kind):
                typed.append(Item(name, kind, r))
            elif kind is None and item == "name":
                typed.append(Item(name, "name", r))
    return _merge_organisations(_merge_places(_merge_surnames(_unique(typed, pool), pool)))


def _trim(text: str) -> str:
    """A number's phrase without the function words or verbs it ran into ("dozens of Russians were")."""
    words = text.split()
    stop = stopwords() | {"were", "was", "are", "is", "had", "have", "has", "will", "would", "could"}
    while len(words) > 1 and words[-1].lower() in stop:
        words.pop()
    return " ".join(words).strip(" ,.;:")


def _unique(items: Sequence[Item], pool: Pool) -> list[Item]:
    seen: dict[str, Item] = {}
    for it in items:
        key = re.sub(r"\W+", " ", it.text.lower()).strip()
        if key and key not in seen:
            seen[key] = it
        elif key:
            seen[key] = also_in(seen[key], it.row, pool)
    return list(seen.values())


def close_spelling(a: str, b: str) -> bool:
    """Whether two words are spellings of one name: equal once accents and case are folded ("Aretović" /
    "Aretovic"), or, from four letters, the same first letter and a ``FUZZY`` ratio (transliterations)."""
    a, b = plain(a).strip(".’'"), plain(b).strip(".’'")
    if a == b:
        return True
    return min(len(a), len(b)) >= 4 and a[0] == b[0] and abs(len(a) - len(b)) <= 3 and \
        SequenceMatcher(None, a, b).ratio() >= FUZZY


def _merge_surnames(items: Sequence[Item], pool: Pool) -> list[Item]:
    """One person, one item: "Gerasimov" joins "Valery Gerasimov", and spellings of one name do too
    ("Valeriy Gerasimov", "Oleksiy Aretovich", "Aretović"), the first full name kept where it first appears.
    Two full names are one person when first and last names are close spellings; a surname alone joins the one
    person it spells exactly, or the only one it spells closely (two candidates: it stays apart)."""
    people: list[tuple[set[str], set[str], int]] = []  # per person kept: spellings of the first and of the last
    # name, and the item's position
    dropped: set[int] = set()
    out = list(items)
    for j, it in enumerate(items):
        words = it.text.split()
        if it.kind != "person" or len(words) < 2:
            continue
        same = next((p for p in people if any(close_spelling(words[-1], w) for w in p[1])
                     and any(close_spelling(words[0], w) for w in p[0])), None)
        if same is None:
            people.append(({words[0]}, {words[-1]}, j))
        else:
            same[0].add(words[0])
            same[1].add(words[-1])
            dropped.add(j)
            out[same[2]] = _joined(out[same[2]], it, pool)
    for j, it in enumerate(items):
        if it.kind != "person" or len(it.text.split()) != 1:
            continue
        exact = [p for p in people if any(plain(it.text) == plain(w) for w in p[1])]
        close = [p for p in people if any(close_spelling(it.text, w) for w in p[1])]
        kept = exact[0] if exact else close[0] if len(close) == 1 else None
        if kept is not None:
            dropped.add(j)
            out[kept[2]] = _joined(out[kept[2]], it, pool)
    return [it for j, it in enumerate(out) if j not in dropped]


def _joined(kept: Item, merged: Item, pool: Pool) -> Item:
    """``kept`` with where ``merged`` (the same item, dropped) is named added to it."""
    for row in (merged.row, *merged.also):
        kept = also_in(kept, row, pool)
    return kept


def _merge_places(items: Sequence[Item]) -> list[Item]:
    """One place, one item: "Izium" / "Izyum", "Donbas" / "Donbass" (each word a close spelling of the other's, the
    lengths within one letter: "Niger" and "Nigeria", "Mali" and "Malawi" stay apart); the first kept."""
    kept: list[Item] = []
    for it in items:
        words = it.text.split()
        if it.kind == "place" and any(
                k.kind == "place" and len(k.text.split()) == len(words)
                and all(abs(len(a) - len(b)) <= 1 and close_spelling(a, b) for a, b in zip(k.text.split(), words, strict=True))
                for k in kept):
            continue
        kept.append(it)
    return kept


def _merge_organisations(items: Sequence[Item]) -> list[Item]:
    """"The American New York Times" is the New York Times: an organisation whose name ends with another's whole
    name of two words or more is that one (the shorter name kept)."""
    names = {it.text for it in items if it.kind == "org" and len(it.text.split()) >= 2}
    return [it for it in items if not (it.kind == "org" and any(
        it.text.endswith(" " + n) for n in names if n != it.text))]


def title_filter(items: Sequence[Item], pool: Pool, topic: str, *, strict: bool = False) -> list[Item]:
    """People of one kind ("which generals"): those their document gives that title, written out or cut short
    ("General Simonov", "Gen. Andrey Simonov"), before their first or last name; all when none has it (none:
    ``strict``)."""
    if not topic:
        return list(items)
    head = re.sub(r"s$", "", topic.split()[-1].lower())
    title = r"\b(?:" + re.escape(head) + r"\w*|" + re.escape(head[:3]) + r"\.)\s+(?:\w+\s+)?"

    texts: dict[str, str] = {}  # each document's text, joined once

    def titled(it: Item) -> bool:
        doc_id = pool.sentences[it.row].doc_id
        if doc_id not in texts:
            texts[doc_id] = " ".join(pool.sentences[r].text for r in pool.of(doc_id))
        text = texts[doc_id]
        names = {it.text.split()[0], it.text.split()[-1]}
        return any(re.search(title + re.escape(n) + r"\b", text, re.IGNORECASE) for n in names)

    kept = [it for it in items if titled(it)]
    return kept or ([] if strict else list(items))
