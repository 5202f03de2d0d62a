"""The phrasing of broad questions: the ``Kind`` record, the patterns of ``qa/answer/data/broad_kinds.json``
(``patterns``, checked when loaded), the question's normal form, and the helpers that read a topic, an item type
or a summary's length out of a question. ``kinds`` (the classifier) and ``requests`` (requests in the imperative)
build on it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...text.wordlists import WordListError, load_wordlists

DATA = Path(__file__).resolve().parents[1] / "data" / "broad_kinds.json"
KINDS = ("summary", "entity", "event", "compare", "list")
ITEMS = ("place", "person", "org", "date", "number", "name")
LENGTHS = ("gist", "summary", "points")


@dataclass(frozen=True)
class Kind:
    """A broad question's kind. ``topic`` is what it asks about ("" for whole documents); ``length`` how long a
    summary should be (gist < summary < points); ``item`` the type of things a list asks for (``ITEMS``, or
    "other" with the asked noun in ``topic``)."""

    kind: str
    topic: str = ""
    length: str = "summary"
    item: str = ""
    scope: str = ""  # a list's qualifier after its noun: "named as OpenAI's rivals" -> "openai's rivals"; what
    # statements are asked about ("what did Zhao say about stepping down" -> "stepping down")
    statements: bool = False  # an entity asked for its words: "what did X say" (``topic`` is X; ``statements``)
    sides: tuple[str, ...] = ()  # a comparison's two sides as the question names them ("the prosecution", "the
    # defence"; "the document" for one it names)


@dataclass(frozen=True)
class Patterns:
    summary: tuple[re.Pattern[str], ...]
    summary_about: tuple[re.Pattern[str], ...]  # a summary of a topic ("key points about the Black Death")
    gist: tuple[re.Pattern[str], ...]
    points: tuple[re.Pattern[str], ...]
    event: tuple[re.Pattern[str], ...]
    entity: tuple[re.Pattern[str], ...]
    compare: tuple[re.Pattern[str], ...]
    compare_context: re.Pattern[str]
    lists: tuple[re.Pattern[str], ...]
    members: tuple[re.Pattern[str], ...]  # "who is on the board": the people of a group
    group_nouns: frozenset[str]
    doc_only: re.Pattern[str]  # a topic that is only a reference to the documents ("these articles")
    doc_start: re.Pattern[str]  # a topic that opens with one ("the article about the bridge": a document named)
    doc_clause: re.Pattern[str]  # the documents as a verb's subject ("the articles quote", "that the document names")
    stop_starts: frozenset[str]
    items: dict[str, frozenset[str]]
    request_verbs: frozenset[str]  # the verbs a request opens with ("fill me in on X", "skim the document")
    request_list_verbs: frozenset[str]  # ... that ask for a list ("round up the judges the document names")
    request_compare_verbs: frozenset[str]  # ... that set two things side by side ("weigh X against Y")
    event_verbs: str  # "happened", "unfolded", "played out": what an event question asks of its topic
    statements: tuple[re.Pattern[str], ...] = ()  # "what did X say (about Y)": X's words
    not_speakers: frozenset[str] = frozenset()  # "what did he say": no one named


def _compile(path: Path, key: str, pattern: str, subs: dict[str, str], group: str | None = None) -> re.Pattern[str]:
    for name, value in subs.items():
        pattern = pattern.replace("{" + name + "}", value)
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        raise WordListError(f"{path}: a {key!r} pattern does not compile ({e}): {pattern}") from None
    if group is not None and group not in compiled.groupindex:
        raise WordListError(f"{path}: every {key!r} pattern must capture (?P<{group}>...): {pattern}")
    return compiled


@lru_cache(maxsize=1)
def patterns(path: Path = DATA) -> Patterns:
    """The patterns of ``path``, checked (a broken file fails here, naming itself)."""
    raw: dict[str, Any] = load_wordlists(path, {
        "summary": "words", "summary_about": "words", "gist": "words", "points": "words", "event": "words", "entity": "words",
        "compare": "words", "list": "words", "entity_stop_starts": "words", "members": "words", "group_nouns": "words",
        "request_verbs": "words", "request_list_verbs": "words", "request_compare_verbs": "words",
        "statements": "words", "statement_not_speakers": "words", **{f"item_{i}": "words" for i in ITEMS}})
    for key in ("doc_nouns", "these", "compare_context", "event_verbs"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise WordListError(f"{path}: {key!r} must be a non-empty pattern string")
    subs = {"DOC": raw["doc_nouns"], "THESE": raw["these"]}

    def many(key: str, group: str | None = None) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile(path, key, p, subs, group) for p in raw[key])

    doc_only = _compile(path, "doc_nouns", r"^(?:(?:{THESE}|the document|it|them|everything|all) ?)*(?:\w+ ){0,2}?{DOC}?$", subs)
    doc_start = _compile(path, "doc_nouns", r"^(?:{THESE} )?(?:\w+ ){0,2}?{DOC}\b(?!')", subs)
    doc_clause = _compile(path, "doc_nouns", r"^(?:that |which )?(?:{THESE} )?(?:\w+ ){0,2}?{DOC} \w+(?: about| to| on| up)?$",
                          subs)
    return Patterns(
        summary=many("summary"), summary_about=many("summary_about", "topic"), gist=many("gist"), points=many("points"), event=many("event", "topic"),
        entity=many("entity", "topic"), compare=many("compare"),
        compare_context=_compile(path, "compare_context", raw["compare_context"], subs), lists=many("list", "what"),
        members=many("members", "group"), group_nouns=frozenset(raw["group_nouns"]),
        doc_only=doc_only, doc_start=doc_start, doc_clause=doc_clause, stop_starts=frozenset(raw["entity_stop_starts"]),
        items={i: frozenset(raw[f"item_{i}"]) for i in ITEMS},
        request_verbs=frozenset(raw["request_verbs"]), request_list_verbs=frozenset(raw["request_list_verbs"]),
        request_compare_verbs=frozenset(raw["request_compare_verbs"]),
        event_verbs=_compile(path, "event_verbs", raw["event_verbs"], subs).pattern,
        statements=many("statements", "speaker"), not_speakers=frozenset(raw["statement_not_speakers"]))


def normalise(question: str) -> str:
    """Lower case, straight quotes, single spaces, no trailing punctuation, no "according to the document," (the
    document it names is already known), no closing "here" / "in all this" / "in this story"."""
    q = question.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    q = re.sub(r"\s+", " ", q).strip().lower()
    q = re.sub(r"[\s?!.:;]+$", "", q)
    q = re.sub(r"^please,?\s+|,?\s+please$", "", q)
    q = q.replace("side-by-side", "side by side")
    # "I'd like to know how X compared with Y": the question asked inside (not "tell me about X", not "whether")
    # ("I'd like to know who X is" keeps its opener: the embedded word order is a pattern of its own)
    q = re.sub(r"^(?:so,? )?(?:i(?:'d| would) (?:like|love) to know|i want to know|i wonder|i'm wondering|i was wondering|"
               r"i'm curious|i am curious) (?=(?:how|what|who|where|when|why|which)\b(?!.* (?:is|are|was|were)$))", "", q)
    q = re.sub(r"\s+for (?:me|us)$", "", q)  # "outline the article for me"
    q = re.sub(r"^(?:according to|in|from|based on|per|going by|judging (?:by|from)|as per) the document,?\s+", "", q)
    q = re.sub(r"(?:,\s*(?:according to|in|from|based on|going by|judging (?:by|from)|as per)|\s+according to) the document$",
               "", q)
    # "..., going by the document intelligence briefing": the rest of the reference's noun phrase goes with it
    q = re.sub(r",\s*(?:according to|going by|judging (?:by|from)|as per) the document(?: [a-z-]+){0,3}$", "", q)
    # "what is X's role here", "... in all this", "... in this story": the documents are the context anyway
    q = re.sub(r",?\s+(?:here|there|in (?:all )?(?:this|that|these)(?: (?:story|case|matter|affair|situation|"
               r"context|conflict|reporting|coverage))?|in the (?:story|case|matter|affair|situation|context))$", "", q)
    return re.sub(r"\bthe document in (?:the|my) (?:list|collection|documents list)\b", "the document", q)


def length_of(q: str, p: Patterns) -> str:
    if any(r.search(q) for r in p.points) and not re.search(r"\bbrief(?:ly)?\b|\bin short\b|\bgist\b", q):
        return "points"
    if any(r.search(q) for r in p.gist):
        return "gist"
    return "summary"


def clean_topic(topic: str) -> str:
    topic = re.sub(r"^(?:about|on|regarding|concerning|of|with respect to)\s+", "", topic.strip(" ,'\""))
    return re.sub(r"\s+(?:according to|in|from) (?:the document|(?:these|the|both|all)(?: two)? \w+)$", "", topic).strip()


def describable(topic: str, p: Patterns, original: str = "") -> bool:
    """Whether "who/what is <topic>" asks for a description (a name or a short term), not a factoid
    ("who is the chief of staff", "what is considered ..."). "the X" is one when X is a name in ``original``
    ("What is the Preparedness Framework?")."""
    words = topic.split()
    opener = re.match(r"^\W*(what|who)\b(?:\s+(are|were)\b)?", original, re.IGNORECASE)
    # "what is the Preparedness Framework", "who are the Houthis": a name ("who is the Defense Minister" asks
    # for a person, a factoid)
    named_the = bool(opener and (opener.group(1).lower() == "what" or (opener.group(2) and words[-1:] and
                                                                      words[-1].endswith("s"))))
    if words and words[0] == "the" and len(words) > 1 and named_the and all(
            capitalised(w, original) for w in words[1:] if w not in {"of", "and", "for", "the"}) and \
            not any(w[:1].isdigit() for w in words[1:]):
        words = words[1:]  # "what is the Preparedness Framework": a name; "who was the Norse leader" is not
    if not words or len(words) > 5 or words[0] in p.stop_starts or re.search(r"\w's\b|s'(?:\s|$)", topic):
        return False
    named = capitalised(words[-1], original)
    if words[-1] in TRAILING or (words[-1].endswith("ed") and not named) or "about" in words:
        return False  # "what are they called", "who is it named after", "what is unique about ..."
    inner = {"of", "the"} if capitalised(words[0], original) and named else set()  # "Secret History of the Mongols"
    return not any(w in {"of", "for", "that", "which", "who", "whose", "when", "did", "does", "do", "has", "have",
                         "by", "to", "from", "with", "in", "on", "at", "than", "if", "because", "and", "or"} - inner
                   for w in words[1:])


TRAILING = frozenset({"called", "known", "as", "after", "about", "against", "using", "by", "for", "with", "to", "from",
                       "of", "in", "on", "at", "into", "like", "made", "used", "worth", "doing", "mean", "means"})
POINTS = frozenset("events developments points facts takeaways findings arguments claims issues topics highlights "
                    "themes ideas messages conclusions".split())
MAX_EVENT_WORDS = 6  # "what happened to <a long clause>" is a factoid about one detail
MAX_CLAUSE_WORDS = 9  # "what happened once <a clause>": the clause is the event, and takes more words


# "... during the last ice age", "... in the 1330s", "... throughout 2022": when, not what
_PERIOD = re.compile(r"^(?P<what>.+?)\s+(?:during|throughout|over|in) (?:the |that |this )?(?:(?:last|first|early|late|"
                     r"next|previous|same|\w+th|\d+\w*) )?(?:ice age|war|period|era|years?|decades?|century|centuries|"
                     r"months?|weeks?|days?|summer|winter|spring|autumn|fall|\d{3,4}s?)$")


def without_period(topic: str) -> str:
    m = _PERIOD.match(topic)
    return m.group("what") if m else topic


def content_words(topic: str) -> int:
    """How many words of ``topic`` are not articles or "of" ("the Finnish coast of the Gulf of Bothnia": 4)."""
    return sum(w not in {"the", "a", "an", "of"} for w in topic.split())


def capitalised(word: str, original: str) -> bool:
    """Whether ``word`` is written with a capital in ``original`` (a name, not a participle)."""
    m = re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", original, re.IGNORECASE)
    return bool(m and m.group()[:1].isupper())


def item_of(what: str, p: Patterns) -> tuple[str, str]:
    """(item type, topic) of a list's noun phrase ("places", "the generals" -> person + "generals")."""
    what = re.sub(r"^(?:the|all|any|every|each|of|other|different|various|main|key|major|important|specific) ", "",
                  what.strip())
    what = re.sub(r"^(?:the|all|any|every|each|of|other|different|various|main|key|major|important|specific) ", "",
                  what)
    words = what.split()
    if not words:
        return "name", ""
    for item in ITEMS:
        names = p.items[item]
        if what in names or words[-1] in names or words[0] in names:
            # "figures" are numbers unless they are people ("public figures", "key figures")
            if item == "number" and words[-1] == "figures" and len(words) > 1 and words[-2] in {"public", "political",
                                                                                                   "key", "prominent"}:
                return "person", ""
            head = words[-1]
            generic = head in names and item != "person" or head in {"people", "persons", "individuals", "names"}
            return item, "" if generic else what
    return "other", what


def without_documents(topic: str, p: Patterns) -> str:
    """A comparison's topic without the documents it names ("" when nothing else is left)."""
    topic = re.sub(r"\b(?:\w+'s\s+)?the document\b", "", topic).strip(" ,")
    return "" if topic and p.doc_only.match(topic) else topic


def side_of(text: str) -> str:
    text = re.sub(r"^(?:both|either|each of) ", "", text.strip())
    return re.sub(r"^the document's\s+", "", text).strip()


def plural(phrase: str) -> str:
    """A noun phrase with its last word in the plural ("khan" -> "khans", "city" -> "cities")."""
    if re.search(r"[^aeiou]y$", phrase):
        return phrase[:-1] + "ies"
    return phrase + ("es" if re.search(r"(?:s|x|z|ch|sh)$", phrase) else "s")


def is_plural(what: str) -> bool:
    """Whether the noun phrase's head ("explanations" in "explanations for the firing") is plural."""
    words = what.split()
    for i, w in enumerate(words):
        if i and w in {"for", "of", "in", "on", "about", "from", "to", "with", "by", "behind", "against"}:
            words = words[:i]
            break
    head = words[-1] if words else ""
    return head.endswith("s") or head in {"people", "media", "personnel", "staff", "police", "data"}
