"""What kind of broad question is this? summary / entity / event / compare / list, or factoid (None).

Word patterns, not exact phrasings: the regexes of ``qa/answer/data/broad_kinds.json`` (checked when loaded:
every pattern compiles, the topic-bearing ones capture a ``topic`` / ``what`` group) are tried on the question,
lower-cased, with the document it names replaced by "the document" (``targets``). Comparisons are tried first
(they need a word of comparison *and* of sources, so "what was different about ..." stays a factoid), then
lists, summaries, events and descriptions of an entity; last, a request in the imperative that none of them
reads ("Fill me in on X", "Walk me through how X unfolded", "Weigh X against Y": ``_request``, its verbs in the
same data file). A question none of them matches is a factoid and takes the existing path unchanged.
``python -m qa eval broad`` measures this on the dev and held-out questions and on SQuAD factoid questions
(which must stay factoids).
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


def _length(q: str, p: Patterns) -> str:
    if any(r.search(q) for r in p.points) and not re.search(r"\bbrief(?:ly)?\b|\bin short\b|\bgist\b", q):
        return "points"
    if any(r.search(q) for r in p.gist):
        return "gist"
    return "summary"


def _clean_topic(topic: str) -> str:
    topic = re.sub(r"^(?:about|on|regarding|concerning|of|with respect to)\s+", "", topic.strip(" ,'\""))
    return re.sub(r"\s+(?:according to|in|from) (?:the document|(?:these|the|both|all)(?: two)? \w+)$", "", topic).strip()


def _describable(topic: str, p: Patterns, original: str = "") -> bool:
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
            _capitalised(w, original) for w in words[1:] if w not in {"of", "and", "for", "the"}) and \
            not any(w[:1].isdigit() for w in words[1:]):
        words = words[1:]  # "what is the Preparedness Framework": a name; "who was the Norse leader" is not
    if not words or len(words) > 5 or words[0] in p.stop_starts or re.search(r"\w's\b|s'(?:\s|$)", topic):
        return False
    named = _capitalised(words[-1], original)
    if words[-1] in _TRAILING or (words[-1].endswith("ed") and not named) or "about" in words:
        return False  # "what are they called", "who is it named after", "what is unique about ..."
    inner = {"of", "the"} if _capitalised(words[0], original) and named else set()  # "Secret History of the Mongols"
    return not any(w in {"of", "for", "that", "which", "who", "whose", "when", "did", "does", "do", "has", "have",
                         "by", "to", "from", "with", "in", "on", "at", "than", "if", "because", "and", "or"} - inner
                   for w in words[1:])


_TRAILING = frozenset({"called", "known", "as", "after", "about", "against", "using", "by", "for", "with", "to", "from",
                       "of", "in", "on", "at", "into", "like", "made", "used", "worth", "doing", "mean", "means"})
_POINTS = frozenset("events developments points facts takeaways findings arguments claims issues topics highlights "
                    "themes ideas messages conclusions".split())
MAX_EVENT_WORDS = 6  # "what happened to <a long clause>" is a factoid about one detail
MAX_CLAUSE_WORDS = 9  # "what happened once <a clause>": the clause is the event, and takes more words


# "... during the last ice age", "... in the 1330s", "... throughout 2022": when, not what
_PERIOD = re.compile(r"^(?P<what>.+?)\s+(?:during|throughout|over|in) (?:the |that |this )?(?:(?:last|first|early|late|"
                     r"next|previous|same|\w+th|\d+\w*) )?(?:ice age|war|period|era|years?|decades?|century|centuries|"
                     r"months?|weeks?|days?|summer|winter|spring|autumn|fall|\d{3,4}s?)$")


def _without_period(topic: str) -> str:
    m = _PERIOD.match(topic)
    return m.group("what") if m else topic


def _content_words(topic: str) -> int:
    """How many words of ``topic`` are not articles or "of" ("the Finnish coast of the Gulf of Bothnia": 4)."""
    return sum(w not in {"the", "a", "an", "of"} for w in topic.split())


def _capitalised(word: str, original: str) -> bool:
    """Whether ``word`` is written with a capital in ``original`` (a name, not a participle)."""
    m = re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", original, re.IGNORECASE)
    return bool(m and m.group()[:1].isupper())


def _item(what: str, p: Patterns) -> tuple[str, str]:
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


def classify(question: str, references: int = 0) -> Kind | None:
    """The broad kind of ``question`` (with the documents it names replaced by "the document", ``references``
    of them), or None for a factoid."""
    q = normalise(question)
    if not q:
        return None
    p = patterns()
    # "the Summary for Policymakers" names a thing; "summarize" / "a summary" asks for one
    named_summary = re.search(r"(?<=\w )Summar", question) is not None
    kind = _compare(q, p, references) or _list(q, p) or _summary(q, p, named_summary) or _statements(q, p, question) \
        or _described(q, p, question) or _request(q, p, question)
    if kind is None:
        # "I don't have time to read these. What do they say?": the question is the last sentence
        sentences = [x for x in re.split(r"(?<=[.!?])\s+(?=[A-Z])", question.strip()) if x.strip()]
        if len(sentences) > 1:
            last = classify(sentences[-1], references)
            return last if last is not None and last.kind == "summary" else None
    return kind


def _compare(q: str, p: Patterns, references: int) -> Kind | None:
    opens = re.match(r"^(?:please )?(?:compare|contrast)\b", q) is not None
    if not any(r.search(q) for r in p.compare) or not (opens or references >= 2 or p.compare_context.search(q)):
        if not _explicit_sides(q):
            return None
    m = re.search(r"\b(?:on|about|regarding|over|concerning|as to|in (?:their|its) (?:account|description|reporting) "
                  r"of|when it comes to|with respect to|in how they (?:describe|report|cover)) (?P<topic>.+)$", q)
    topic = _clean_topic(m.group("topic")) if m else ""
    # "on Altman's firing with TechCrunch's <document>": the topic stops where the other source is named
    topic = re.sub(r"\s+(?:with|and|to|versus|vs\.?|against|from)\s+(?:(?:\w+'s|the other|the)\s+)?the document\b.*$", "", topic)
    topic = _without_documents(topic, p)
    sides, topic_of_sides = compared_sides(q)
    if not topic:  # "how do X and Y compare in height", "give the same reason for Altman's firing"
        topic = _without_documents(_clean_topic(topic_of_sides), p)
    passive = _PASSIVE.match(q)
    if not topic and passive:  # "is Ögedei's role told the same way in the articles": its subject
        topic = _without_documents(_clean_topic(passive.group("topic")), p)
    if not topic:  # "how many died in the strike - do the two reports give the same figure": the other clause
        topic = _clause_topic(q, p)
    return Kind("compare", topic, sides=sides)


_PASSIVE = re.compile(r"^(?:so,? )?(?:is|are|was|were) (?P<topic>[^,;]+?) (?:told|described|reported|portrayed|presented|"
                      r"covered|explained|depicted|characteri[sz]ed|treated|given) (?:the same way|in the same way|the same|"
                      r"similarly|differently|consistently|alike)\b")
_ASKING = re.compile(r"^(?:(?:and|so|but|now|ok|okay),? )?(?:how (?:many|much|often|long|far)|what|which|who|whom|whose|when|"
                     r"where|why|how)(?: (?:is|are|was|were|did|do|does|has|have|had|will|would|can|could))?\s+")


def _clause_topic(q: str, p: Patterns) -> str:
    """A comparison's topic asked in a clause of its own, set off by a dash, colon or semicolon ("who fired Altman:
    do the articles agree") - the question word left out; "" when there is none."""
    parts = [x.strip() for x in re.split(r"\s+[-–—]+\s+|\s*;\s+|:\s+", q) if x.strip()]
    if len(parts) < 2:
        return ""
    rest = [x for x in parts if not any(r.search(x) for r in p.compare)]
    if len(rest) != 1 or len(rest) == len(parts):
        return ""
    return _without_documents(_clean_topic(_ASKING.sub("", rest[0])), p)


def _without_documents(topic: str, p: Patterns) -> str:
    """A comparison's topic without the documents it names ("" when nothing else is left)."""
    topic = re.sub(r"\b(?:\w+'s\s+)?the document\b", "", topic).strip(" ,")
    return "" if topic and p.doc_only.match(topic) else topic


_SIDE_VERBS = (r"(?:describe|explain|portray|present|report|cover|characteri[sz]e|depict|see|view|treat|frame|tell|"
               r"account for|justify|assess|judge|rate|estimate|remember|recall)")
# "how do X and Y <verb> Z (differently)", "how does X compare with Y", "do X and Y give the same reason for Z"
_SIDE_PATTERNS = (
    # "where do X and Y differ in how they portray Z"
    re.compile(r"^(?:so,? )?(?:how|in what ways?|where) (?:do|does|did) (?P<who>[^,;]+? and [^,;]+?) (?:differ|disagree|"
               r"diverge|contrast|part ways)(?: (?:in|on|over|about|as to))? (?:how|the way|what) (?:they|each(?: one)?) "
               + _SIDE_VERBS + r" (?P<topic>[^,;]+?)$"),
    re.compile(r"^(?:so,? )?(?:how|in what ways?|where) (?:do|does|did) (?P<who>[^,;]+?) (?:" + _SIDE_VERBS +
               r") (?P<topic>[^,;]+?)(?: differently| in (?:different|contrasting|opposite) ways)?$"),
    re.compile(r"^(?:so,? )?(?:how|in what ways?|where) (?:do|does|did) (?P<who>[^,;]+? and [^,;]+?) (?:compare|differ|"
               r"contrast|disagree|agree|diverge|part ways|split)(?: (?:in|on|about|over|regarding|as to|in terms of|when it comes to) "
               r"(?P<topic>[^,;]+))?$"),
    # "do X and Y give the same reason for Z", "do X and Y list the same board members"
    re.compile(r"^(?:so,? )?(?:do|does|did) (?P<who>[^,;]+? and [^,;]+?) (?:give|report|have|cite|offer|use|state|quote|"
               r"tell|reach|draw|agree on|list|name|mention|count) the same (?:(?:\w+ ){0,2}?(?:for|of|on|about|behind|"
               r"regarding|as to) )?(?P<topic>[^,;]+)$"),
    # "contrast the climates of the Andes and the Sierra Nevada": what is compared, of whom
    re.compile(r"^(?:please )?(?:compare|contrast) (?:the )?(?!(?:how|what|why|whether|where|when|who)\b)"
               r"(?P<topic>[^,;]+?) (?:of|in|at|between|for) "
               r"(?P<who>[^,;]+? and [^,;]+?)$"),
)
_GLUE = frozenset({"its", "their", "his", "her", "the", "a", "an", "for", "of", "in", "to", "on", "at", "document's"})
_COMPARED_WITH = re.compile(r"^(?:so,? )?how (?:do|does|did) (?P<a>[^,;]+?) (?:compare|contrast) (?:with|to|against) "
                            r"(?P<b>[^,;]+)$")


# "which gets more rain or snow, the Andes or the Sierra Nevada": two named sides weighed on one measure
_WHICH_MORE = re.compile(r"^(?:so,? )?which(?: one| of (?:the|these|them|the two))? (?:gets?|got|has|have|had|is|are|was|"
                         r"were|sees?|saw|receives?|received|holds?|held) (?:the )?(?:(?:more|less|fewer|most|least) )?(?P<topic>(?:higher|"
                         r"lower|bigger|larger|smaller|greater|taller|longer|shorter|older|younger|highest|lowest)?\b"
                         r"[^,;]*?),? (?:the )?(?P<a>[^,;]+?) or (?:the )?(?P<b>[^,;]+)$")


_TWO_SIDES = re.compile(r"^(?:so,? )?(?:how|in what ways?) (?:do|does|did) (?:the two|both|the opposing|each of the two) "
                        r"(?:sides|camps|parties|lawyers|legal teams|teams) ")


def _explicit_sides(q: str) -> bool:
    """A comparison without a word of comparison: "how does X compare with Y" (itself one), "how did the two
    sides portray X", "how do X and Y report Z"."""
    m = _COMPARED_WITH.match(q)
    if m is not None:  # "X's toll for Europe compare with its toll for Asia" (not "the population compare to 1990")
        a, b = ({w for w in re.findall(r"[a-z][\w'-]+", m.group(x)) if w not in _GLUE} for x in ("a", "b"))
        return bool(a & b)
    m = _SIDE_PATTERNS[1].match(q)  # "how do the Verge and CNBC report the verdict": two sources, one verb
    # "where do Fortune and TechCrunch part ways on X": two subjects of one verb of difference
    return _TWO_SIDES.match(q) is not None or (m is not None and " and " in m.group("who")) or \
        _SIDE_PATTERNS[2].match(q) is not None or _WHICH_MORE.match(q) is not None


def compared_sides(q: str) -> tuple[tuple[str, ...], str]:
    """The sides a normalised comparison question sets against each other ("the prosecution", "the defence")
    and the topic it asks about them ("alameda"), or ((), ""). "How does X's toll for Europe compare with its
    toll for Asia": the sides are what differs ("europe", "asia"), the topic what they share ("toll")."""
    m = _COMPARED_WITH.match(q)
    if m is not None:
        a, b = (re.findall(r"[\w'-]+", m.group(x)) for x in ("a", "b"))
        a, b = ([w for w in x if w not in _GLUE] for x in (a, b))
        shared = [w for w in a if w in b]
        only_a, only_b = [w for w in a if w not in b], [w for w in b if w not in a]
        if shared and only_a and only_b:
            return (_side(" ".join(only_a)), _side(" ".join(only_b))), " ".join(shared)
        return (_side(m.group("a")), _side(m.group("b"))), ""
    m = _WHICH_MORE.match(q)
    if m is not None:
        return (_side(m.group("a")), _side(m.group("b"))), m.group("topic").strip()
    for r in _SIDE_PATTERNS:
        m = r.match(q)
        if m is None:
            continue
        parts = [x for x in re.split(r",? and |, ", m.group("who")) if x.strip()]
        sides = tuple(_side(x) for x in parts) if len(parts) >= 2 else ()
        return sides, (m.groupdict().get("topic") or "")
    return (), ""


def _side(text: str) -> str:
    text = re.sub(r"^(?:both|either|each of) ", "", text.strip())
    return re.sub(r"^the document's\s+", "", text).strip()


def _list(q: str, p: Patterns) -> Kind | None:
    for r in p.members:  # "who is on OpenAI's board (after ...)": the people of that group
        m = r.search(q)
        group = re.sub(r"^(?:the )?([\w-]+) of (?:the )?(.+)$", r"\2's \1", m.group("group").strip()) if m else ""
        if m and m.groupdict().get("owner"):  # "the board members of OpenAI": OpenAI's board
            group = f"{re.sub(r'^the ', '', m.group('owner').strip())}'s {group}"
        if group.split()[-1:] and group.split()[-1] in p.group_nouns:  # "the board of OpenAI": OpenAI's board
            return Kind("list", "", "points", "person", _clean_topic(group))
    for r in p.lists:
        m = r.search(q)
        if m is None:
            continue
        what = (m.group("what") or ("places" if m.group().startswith(("where", "what places", "which places")) else "people")).strip()
        if re.search(r"\b(?:every|each) " + re.escape(what) + r"\b", q) and not _plural(what):
            what = plural(what)  # "name every khan": the khans
        if r.pattern.startswith("^(?:which|what) ") and not _plural(what):
            continue  # "which general was mentioned as ..." asks for one: a factoid
        if p.doc_only.match(what) and any(s.search(q) for s in p.summary):
            return Kind("summary", "", _length(q, p))  # "give me a rundown of these three extracts"
        item, topic = _item(what, p)
        if item == "other" and topic.split()[-1:] and topic.split()[-1] in _POINTS:
            return Kind("summary", "", "points")  # "list the key events": the key points
        return Kind("list", topic, "points", item, _scope(q[m.end("what"):], p))
    return None


# "named as X", "mentioned in connection with X", "that are X": the words before a list's qualifier
_QUALIFIER_OPENING = re.compile(
    r"^\s*(?:(?:that |which |who )?(?:are|were|is|was|get|got|have been|has been|had been) |being )?(?:mentioned|named|cited|referenced|listed|"
    r"discussed|covered|involved|referred to|featured|found|given|reported|quoted|described|identified|singled out|"
    r"presented|portrayed|seen|treated|made|proposed|recommended|suggested)?\s*(?:as being |as |in connection with |in relation to |with regard to |"
    r"for |among |in |on |about |regarding |concerning |from |across |of |by )?")


def _scope(rest: str, p: Patterns) -> str:
    """The qualifier of a list's noun ("... named as OpenAI's rivals" -> "openai's rivals"), "" when there is
    none or it only names the documents ("mentioned in the articles")."""
    if re.match(r"\s*(?:does|do|did)\b", rest):  # "which recommendations does the review make": none
        return ""
    rest = _QUALIFIER_OPENING.sub("", rest, count=1).strip(" ,")
    rest = _clean_topic(rest)
    if not rest or p.doc_only.match(rest) or p.doc_clause.match(rest) or re.fullmatch(r"(?:the document\b\W*)+", rest):
        return ""
    return rest


def plural(phrase: str) -> str:
    """A noun phrase with its last word in the plural ("khan" -> "khans", "city" -> "cities")."""
    if re.search(r"[^aeiou]y$", phrase):
        return phrase[:-1] + "ies"
    return phrase + ("es" if re.search(r"(?:s|x|z|ch|sh)$", phrase) else "s")


def _plural(what: str) -> bool:
    """Whether the noun phrase's head ("explanations" in "explanations for the firing") is plural."""
    words = what.split()
    for i, w in enumerate(words):
        if i and w in {"for", "of", "in", "on", "about", "from", "to", "with", "by", "behind", "against"}:
            words = words[:i]
            break
    head = words[-1] if words else ""
    return head.endswith("s") or head in {"people", "media", "personnel", "staff", "police", "data"}


def _summary(q: str, p: Patterns, named_summary: bool = False) -> Kind | None:
    if any(r.search(q) for r in p.summary[1 if named_summary else 0 :]):
        return Kind("summary", _summary_topic(q, p), _length(q, p))
    if not named_summary:
        for r in p.summary_about:  # "key points about the Black Death", "Mongol expansion: the big picture"
            m = r.search(q)
            if m:
                topic = _clean_topic(m.group("topic"))
                return Kind("summary", "" if p.doc_only.match(topic) or p.doc_start.match(topic) else topic,
                            _length(q, p))
    return None


# "summarize what the collection says about the crypto exchanges": what the summary is of
_SAYS_ABOUT = re.compile(r"\b(?:say|says|said|report|reports|reported|tell|tells|write|writes|claim|claims|cover|covers) "
                         r"(?:about|on|regarding|concerning) (?P<topic>[^,;]+)$")


def _summary_topic(q: str, p: Patterns) -> str:
    """The topic a summary is asked of (what the documents say about something; "a summary of X"); "" when it
    is asked of the documents themselves."""
    m = _SAYS_ABOUT.search(q) or next((m for r in p.summary_about if (m := r.search(q))), None)
    topic = _clean_topic(m.group("topic")) if m else ""
    if not m or not topic or p.doc_only.match(topic) or (m.re in p.summary_about and p.doc_start.match(topic)):
        return ""
    return topic


def _described(q: str, p: Patterns, original: str = "") -> Kind | None:
    kind = _described_once(q, p, original)
    if kind is None:  # "who is X and why does she matter": the description asked first
        head = re.sub(r",? and (?:why|how|what|where|when|whether) .+$", "", q)
        if head != q:
            return _described_once(head, p, original)
    return kind


def _described_once(q: str, p: Patterns, original: str = "") -> Kind | None:
    for kind, rules in (("event", p.event), ("entity", p.entity)):
        for r in rules:
            m = r.search(q)
            if m is None:
                continue
            topic = _clean_topic(m.group("topic"))
            if not topic:
                continue
            if p.doc_only.match(topic):  # "tell me about these articles": a summary
                return Kind("summary", "", _length(q, p))
            if kind == "entity" and r is p.entity[0] and not _describable(topic, p, original):
                continue
            if kind == "event":
                clause = re.match(r"(?:after|when|once|following)\s", topic) is not None
                place = re.match(r"(?:in|at|inside|outside|near)\s", topic) is not None
                topic = re.sub(r"^(?:in|at|to|on|during|near|with|inside|around|outside|within|across|after|when|once|"
                               r"following|between|along|for)\s+", "", topic)
                topic = _without_period(topic)
                if place:  # "what took place at MetLife Stadium during the Chiefs-Jets game": the place is the topic
                    topic = re.sub(r"\s+during\s+(?:the |a |an |her |his |their |its )?(?:[\w'-]+ ){0,3}[\w'-]+$", "", topic)
                limit = MAX_CLAUSE_WORDS if clause else MAX_EVENT_WORDS
                long_clause = len(topic.split()) > limit and re.search(r"\b(?:that|which|who|whom|whose|to)\b", topic)
                if _content_words(topic) > limit or long_clause or re.search(
                        r"\b(?:after|once|upon|between|during|because|as a result|to force|to prompt|if)\b", topic):
                    continue
            return Kind(kind, topic)
    return None


# ----------------------------------------------------------------------------------------- statements

# what may follow "what did X say": whom it was said to or where ("told TechCrunch", "the jury", "in his email"),
# then what about; a clause or an infinitive instead ("say the people knew nothing about", "claim to perfect")
# asks one fact: a factoid
_VERBISH = re.compile(r"\b(?:\w{3,}ed|is|are|was|were|be|been|being|has|have|had|do|does|did|can|could|would|will|"
                      r"should|may|might|must|he|she|they|it|i|we|you|that|which|who|whom|when|where|why|how|whether|"
                      r"if|there|not|no|as)\b")
_RECIPIENT_TO = re.compile(r"^to (?:the|a|an|his|her|their|its|my|our|your|him|them|us|me|reporters|journalists|"
                           r"staff|employees|investors|fans|congress|parliament|lawmakers|police|the press)\b")
_ABOUT = re.compile(r"(?:^|\s)(?:about|regarding|concerning|in relation to|with respect to) (?P<topic>.+)$")
_WHEN_AFTER = re.compile(r"\s*\b(?:after|before|during|since|following|until|once)\b.*$")  # "post on X after the firing"
_NOT_A_NAME_END = re.compile(r"(?:^|\s)(?:the|a|an|of|to|and|or|in|on|at|for|by|with|\d+)$|['’]s?$")
MAX_SPEAKER_WORDS = 6
MAX_RECIPIENT_WORDS = 4


def _statements(q: str, p: Patterns, original: str = "") -> Kind | None:
    """"What did X say (to Y) (about Z)", "what has X said", "what is X saying", "what were X's comments": X's
    words (an entity, ``statements``; Z, when asked, in ``scope``). A pronoun or a document as X is not a speaker;
    a clause after the verb asks one fact (a factoid)."""
    for r in p.statements:
        m = r.search(q)
        if m is None:
            continue
        speaker = _clean_topic(m.group("speaker"))
        rest = (m.groupdict().get("rest") or "").strip()
        verb = q[m.end("speaker"):].split()[0] if q[m.end("speaker"):].split() else ""
        if _capitalised(verb, original):  # "what did the Islamic State proclaim": a name's word, not the verb
            return None
        about = _ABOUT.search(rest)
        head = _WHEN_AFTER.sub("", rest[: about.start()] if about else rest).strip()
        if (not speaker or speaker in p.not_speakers or len(speaker.split()) > MAX_SPEAKER_WORDS
                or p.doc_only.match(speaker) or "the document" in speaker or _NOT_A_NAME_END.search(speaker)
                or re.search(r"\b(?:be|been|being|able)\b", speaker)
                or re.match(r"(?:who|what|which|when|where|why|how)\b", speaker)
                or len(head.split()) > MAX_RECIPIENT_WORDS or _VERBISH.search(head)
                or (head.startswith("to ") and not _RECIPIENT_TO.match(head))):
            return None
        return Kind("entity", speaker, scope=_clean_topic(about.group("topic")) if about else "", statements=True)
    return None


# ----------------------------------------------------------------------------------------- requests

# What may come before a request's verb: "ok, so", "please", "can you", "I'd like you to", "just"
_BEFORE_VERB = re.compile(r"^(?:(?:ok(?:ay)?|so|now|and|also|next|then|right|alright|hey|great|thanks),? )*(?:please,? )?"
                          r"(?:(?:can|could|would|will) you (?:please )?|i(?:'d| would) like you to |i want you to |"
                          r"(?:just|quickly|briefly|kindly) )?")
# "fill me in on", "say a bit about", "catch us up on": what follows the verb before its object
_AFTER_VERB = re.compile(r"^(?:(?:me|us)\b\s*)?(?:(?:up to (?:speed|date)|up|out|off|in|through|over|down|back|together|"
                         r"across)\b\s*)?"
                         r"(?:(?:a (?:little )?bit|a little|a word|a few words|a line|something|more|briefly|quickly|"
                         r"in short|anything|everything)\b\s*)?(?:(?:on|about|of|regarding|concerning|into|to|with)\b\s*)?")
_FACTOID_CLAUSE = re.compile(r"^(?:who|whom|whose|when|where|why|which|whether|if|how (?:many|much|long|far|old|often|"
                             r"tall|big|large|high|deep|fast|soon))\b")
_SIDE_BY = r"against|beside|alongside|next to|versus|vs\.?"  # "weigh X against Y", "set X beside Y"
_LINK = re.compile(rf"\s+(?:{_SIDE_BY})\s+")
_LINK_OR_AND = re.compile(rf"\s+(?:{_SIDE_BY}|with|and)\s+")  # "compare X with Y", "contrast X and Y"
# the preposition that opens a requested event's topic ("what unfolded in the crimea")
_EVENT_AT = r"(?:in|at|to|on|during|near|with|inside|around|along|between|for|across)"
_COMPARE_TOPIC = re.compile(r"(?:,?\s+(?:when it comes to|in terms of|on|regarding|about|over|as to|for|in))\s+"
                            r"(?P<topic>[^,;]+)$")


def _request(q: str, p: Patterns, original: str = "") -> Kind | None:
    """A request in the imperative, which no pattern above reads: "Fill me in on X", "Say a bit about X",
    "Skim the document and tell me what matters", "Walk me through how X unfolded", "Weigh X against Y",
    "Round up the judges the document names". Its verb opens it (``request_verbs``); what it asks for is
    read from its object. A request for one fact stays a factoid ("tell me when ...", "give me the population
    of X", "name the CEO")."""
    request = _BEFORE_VERB.sub("", q, count=1)
    m = re.match(r"(?P<verb>[a-z]+)\b\s*", request)
    if m is None or m.group("verb") not in p.request_verbs:
        return None
    verb = m.group("verb")
    rest = _AFTER_VERB.sub("", request[m.end():], count=1).strip(" ,")
    if not rest or _FACTOID_CLAUSE.match(rest):
        return None
    return (_requested_comparison(verb, rest, p) or _requested_event(rest, p) or _requested_list(verb, rest, p)
            or _requested_summary(rest, p) or _requested_entity(rest, p, original))


def _requested_comparison(verb: str, rest: str, p: Patterns) -> Kind | None:
    """"weigh the andes against the sierra nevada when it comes to height": two sides and a topic."""
    if verb not in p.request_compare_verbs and not re.search(r"\bside by side\b", rest):
        return None
    rest = re.sub(r"\s*\bside by side\b", "", rest).strip()
    m = _COMPARE_TOPIC.search(rest)
    topic = _clean_topic(m.group("topic")) if m else ""
    body = rest[: m.start()] if m else rest
    link = _LINK_OR_AND if verb in ("compare", "contrast") else _LINK
    parts = [x.strip() for x in link.split(body, maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        return None
    return Kind("compare", _without_documents(topic, p), sides=tuple(_side(x) for x in parts))


# "... went down that Friday", "... played out last week", "... unfolded on Monday": when, after the event's verb
_WHEN_TAIL = r"(?: (?:that|this|last|on|in|during|over|at) (?:the )?[\w'-]+(?: [\w'-]+)?)?"


def _requested_event(rest: str, p: Patterns) -> Kind | None:
    """"what unfolded in the crimea in 1347", "how the second day of the trial played out": the event."""
    m = re.match(rf"^what (?:\w+ )?{p.event_verbs} (?P<topic>{_EVENT_AT} [^,;]+)$", rest) or \
        re.match(rf"^(?:how|what|the way) (?P<topic>[^,;]+?) {p.event_verbs}{_WHEN_TAIL}$", rest)
    if m is None:
        return None
    topic = _without_period(re.sub(rf"^{_EVENT_AT}\s+", "", m.group("topic")))
    return Kind("event", topic) if 0 < len(topic.split()) <= MAX_CLAUSE_WORDS else None


# "the judges and prosecutors (that) the document names", "the dates mentioned in it": the noun, then a clause
_LISTED = re.compile(r"^(?P<what>[\w\s'-]+?)(?:\s+(?:that |which |who )?(?:the document|these|those|they|it)\b.*|"
                     r"\s+(?:mentioned|named|cited|quoted|listed|in|from|across|of)\b.*)?$")


def _requested_list(verb: str, rest: str, p: Patterns) -> Kind | None:
    """"round up the judges and prosecutors the document names": the things of a plural noun."""
    if verb not in p.request_list_verbs:
        return None
    m = _LISTED.match(rest)
    if m is None or not _plural(m.group("what")):
        return None  # "name the ceo": one thing, a factoid
    item, topic = _item(m.group("what"), p)
    return Kind("list", topic, "points", item)


def _requested_summary(rest: str, p: Patterns) -> Kind | None:
    """"the document", "the document and tell me what matters in it", "what these pieces are reporting"."""
    head, _, tail = rest.partition(" and ")
    doc = p.doc_only.match(head) is not None or head.startswith("the document")
    saying = re.match(r"^what (?:the document|they|it|these|those|this)\b", rest) is not None
    if not (doc and head.strip() != "" or saying):
        return None
    if tail and re.search(r"\b(?:who|whom|whose|when|where|why|which|how (?:many|much|long|old))\b", tail):
        return None  # "skim the document and tell me who wrote it": a factoid
    return Kind("summary", "", _length(rest, p))


def _requested_entity(rest: str, p: Patterns, original: str) -> Kind | None:
    """"aretovych", "hoelun", "the preparedness framework": a name or short term to describe."""
    topic = _clean_topic(rest)
    words = topic.split()
    if words[:1] == ["the"] and any(_capitalised(w, original) for w in words[1:]):
        named = " ".join(words[1:])  # "the Izium ambush", "the Preparedness Framework": a name
        return Kind("entity", topic) if _describable(named, p, original) else None
    return Kind("entity", topic) if topic and _describable(topic, p, original) else None
