"""What kind of broad question is this? summary / entity / event / compare / list, or factoid (None).

Word patterns, not exact phrasings: the regexes of ``qa/answer/data/broad_kinds.json`` (checked when loaded:
every pattern compiles, the topic-bearing ones capture a ``topic`` / ``what`` group) are tried on the question,
lower-cased, with the document it names replaced by "the document" (``targets``). Comparisons are tried first
(they need a word of comparison *and* of sources, so "what was different about ..." stays a factoid), then
lists, summaries, events and descriptions of an entity; last, a request in the imperative that none of them
reads ("Fill me in on X", "Walk me through how X unfolded", "Weigh X against Y": ``requests.request``, its verbs in the
same data file). A question none of them matches is a factoid here; ``broad_answer`` then asks the learned fallback
(``learned``: a regression over the question's vector), and only what that too leaves is a factoid.
``python -m qa eval broad`` measures this on the dev and held-out questions and on SQuAD factoid questions
(which must stay factoids).
"""
from __future__ import annotations

import re

from .phrasing import (DATA, ITEMS, KINDS, LENGTHS, MAX_CLAUSE_WORDS, MAX_EVENT_WORDS, POINTS, Kind, Patterns, capitalised,
                       clean_topic, content_words, describable, is_plural, item_of, length_of, normalise, patterns, plural,
                       side_of, without_documents, without_period)
from .requests import request

__all__ = ["DATA", "ITEMS", "KINDS", "LENGTHS", "Kind", "Patterns", "classify", "compared_sides", "patterns", "plural"]


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
        or _described(q, p, question) or request(q, p, question)
    if kind is None:
        # "I don't have time to read these. What do they say?": the question is the last sentence
        sentences = [x for x in re.split(r"(?<=[.!?])\s+(?=[A-Z])", question.strip()) if x.strip()]
        if len(sentences) > 1:
            last = classify(sentences[-1], references)
            return last if last is not None and last.kind == "summary" else None
    return kind


def _compare(q: str, p: Patterns, references: int) -> Kind | None:
    versus = _versus(q)
    if versus is not None:  # "A vs B: how do their X compare" (X), "how did the two sides paint him" (the sides)
        return Kind("compare", versus[1], sides=versus[0])
    opens = re.match(r"^(?:please )?(?:compare|contrast)\b", q) is not None
    if not any(r.search(q) for r in p.compare) or not (opens or references >= 2 or p.compare_context.search(q)):
        if not _explicit_sides(q):
            return None
    m = re.search(r"\b(?:on|about|regarding|over|concerning|as to|in (?:their|its) (?:account|description|reporting) "
                  r"of|when it comes to|with respect to|in how they (?:describe|report|cover)) (?P<topic>.+)$", q)
    topic = clean_topic(m.group("topic")) if m else ""
    # "on Altman's firing with TechCrunch's <document>": the topic stops where the other source is named
    topic = re.sub(r"\s+(?:with|and|to|versus|vs\.?|against|from)\s+(?:(?:\w+'s|the other|the)\s+)?the document\b.*$", "", topic)
    topic = without_documents(topic, p)
    sides, topic_of_sides = compared_sides(q)
    if not topic:  # "how do X and Y compare in height", "give the same reason for Altman's firing"
        topic = without_documents(clean_topic(topic_of_sides), p)
    passive = _PASSIVE.match(q)
    if not topic and passive:  # "is Ögedei's role told the same way in the articles": its subject
        topic = without_documents(clean_topic(passive.group("topic")), p)
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
    return without_documents(clean_topic(_ASKING.sub("", rest[0])), p)


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
# "compare Faiss and NumPy", "contrast the Andes with the Alps on rainfall": two short sides right after the verb
_COMPARE_TWO = re.compile(r"^(?:please )?(?:compare|contrast) (?P<a>(?:the )?[\w.'’-]+(?: [\w.'’-]+){0,2}?) "
                          r"(?:and|with|to|against|versus|vs\.?) (?P<b>(?:the )?[\w.'’-]+(?: [\w.'’-]+){0,2}?)"
                          r"(?: (?:on|about|regarding|over|in terms of|when it comes to) (?P<topic>[^,;]+))?$")
# a side that is a document ("the first and second articles", "the Express article with the other one") is named by
# the target (``targets``), not compared as a thing the documents describe
_DOCUMENT_WORD = re.compile(r"\b(?:articles?|documents?|docs?|files?|texts?|pieces?|stories|story|reports?|sources?|"
                            r"pages?|posts?|papers?|extracts?|one|ones|other|first|second|third|fourth|fifth|last|former|"
                            r"latter)\b")
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


# "prosecution vs defense at the SBF trial - how did the two sides paint him", "CZ versus SBF: how do their
# legal situations stack up": two sides set against each other before the question, which asks about them
_VERSUS = re.compile(r"^(?:so,? )?(?P<a>[\w'’.-]+(?: [\w'’.-]+){0,3}?) (?:vs\.?|versus) (?P<b>[\w'’.-]+(?: [\w'’.-]+){0,3}?)"
                     r"(?: (?:at|in|during|over|on|about|for) [^-–—:;,?]+)?\s*(?:[-–—:;]+|,)\s*(?P<rest>.+)$")
_THEIR = re.compile(r"^(?:how|where|in what ways?) (?:do|does|did|are|were) (?:their|the two(?: \w+)?'s?|both(?: of their)?|"
                    r"each(?: one)?'s) (?P<topic>[^,;]+?) (?:compare|differ|stack up|match up|line up|measure up|"
                    r"contrast|diverge)\b")


_ASKS_HOW = re.compile(r"^(?:so,? )?(?:how|in what ways?|where (?:do|does|did)|what (?:are|were|is) the differences?|what sets|"
                       r"compare|contrast|(?:put|set) them side by side)\b")


def _versus(q: str) -> tuple[tuple[str, str], str] | None:
    """The two sides of a question that opens "A vs B: ..." and the topic it asks of them ("" when it asks how
    the sides themselves differ), or None."""
    m = _VERSUS.match(q)
    if m is None:
        return None
    sides = (side_of(clean_topic(m.group("a"))), side_of(clean_topic(m.group("b"))))
    if not all(sides):
        return None
    rest = m.group("rest")
    if not _ASKS_HOW.match(rest):  # "Real Madrid vs Barcelona: who won?" asks a fact
        return None
    their = _THEIR.match(rest)
    return sides, (clean_topic(their.group("topic")) if their else "")


def _explicit_sides(q: str) -> bool:
    """A comparison without a word of comparison: "how does X compare with Y" (itself one), "how did the two
    sides portray X", "how do X and Y report Z" ("X vs Y: how ..." is read before: ``_versus``)."""
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
    versus = _versus(q)
    if versus is not None:
        return versus
    m = _COMPARED_WITH.match(q)
    if m is not None:
        a, b = (re.findall(r"[\w'-]+", m.group(x)) for x in ("a", "b"))
        a, b = ([w for w in x if w not in _GLUE] for x in (a, b))
        shared = [w for w in a if w in b]
        only_a, only_b = [w for w in a if w not in b], [w for w in b if w not in a]
        if shared and only_a and only_b:
            return (side_of(" ".join(only_a)), side_of(" ".join(only_b))), " ".join(shared)
        return (side_of(m.group("a")), side_of(m.group("b"))), ""
    m = _WHICH_MORE.match(q)
    if m is not None:
        return (side_of(m.group("a")), side_of(m.group("b"))), m.group("topic").strip()
    for r in _SIDE_PATTERNS:
        m = r.match(q)
        if m is None:
            continue
        parts = [x for x in re.split(r",? and |, ", m.group("who")) if x.strip()]
        sides = tuple(side_of(x) for x in parts) if len(parts) >= 2 else ()
        return sides, (m.groupdict().get("topic") or "")
    return _compare_two(q)


def _compare_two(q: str) -> tuple[tuple[str, ...], str]:
    """The two sides (and topic) of "compare A and B (on X)", or ((), "") (``_COMPARE_TWO``)."""
    m = _COMPARE_TWO.match(q)
    if m is not None and all(side_of(m.group(x)) and not _DOCUMENT_WORD.search(m.group(x)) for x in ("a", "b")):
        return (side_of(m.group("a")), side_of(m.group("b"))), (m.group("topic") or "").strip()
    return (), ""


def _list(q: str, p: Patterns) -> Kind | None:
    for r in p.members:  # "who is on OpenAI's board (after ...)": the people of that group
        m = r.search(q)
        group = re.sub(r"^(?:the )?([\w-]+) of (?:the )?(.+)$", r"\2's \1", m.group("group").strip()) if m else ""
        if m and m.groupdict().get("owner"):  # "the board members of OpenAI": OpenAI's board
            group = f"{re.sub(r'^the ', '', m.group('owner').strip())}'s {group}"
        if group.split()[-1:] and group.split()[-1] in p.group_nouns:  # "the board of OpenAI": OpenAI's board
            return Kind("list", "", "points", "person", clean_topic(group))
    for r in p.lists:
        m = r.search(q)
        if m is None:
            continue
        what = (m.group("what") or ("places" if m.group().startswith(("where", "what places", "which places")) else "people")).strip()
        if re.search(r"\b(?:every|each) " + re.escape(what) + r"\b", q) and not is_plural(what):
            what = plural(what)  # "name every khan": the khans
        if r.pattern.startswith("^(?:which|what) ") and not is_plural(what):
            continue  # "which general was mentioned as ..." asks for one: a factoid
        if p.doc_only.match(what) and any(s.search(q) for s in p.summary):
            return Kind("summary", "", length_of(q, p))  # "give me a rundown of these three extracts"
        item, topic = item_of(what, p)
        if item == "other" and topic.split()[-1:] and topic.split()[-1] in POINTS:
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
    rest = clean_topic(rest)
    if not rest or p.doc_only.match(rest) or p.doc_clause.match(rest) or re.fullmatch(r"(?:the document\b\W*)+", rest):
        return ""
    return rest


def _summary(q: str, p: Patterns, named_summary: bool = False) -> Kind | None:
    if any(r.search(q) for r in p.summary[1 if named_summary else 0 :]):
        return Kind("summary", _summary_topic(q, p), length_of(q, p))
    if not named_summary:
        for r in p.summary_about:  # "key points about the Black Death", "Mongol expansion: the big picture"
            m = r.search(q)
            if m:
                topic = clean_topic(m.group("topic"))
                return Kind("summary", "" if p.doc_only.match(topic) or p.doc_start.match(topic) else topic,
                            length_of(q, p))
    return None


# "summarize what the collection says about the crypto exchanges": what the summary is of
_SAYS_ABOUT = re.compile(r"\b(?:say|says|said|report|reports|reported|tell|tells|write|writes|claim|claims|cover|covers) "
                         r"(?:about|on|regarding|concerning) (?P<topic>[^,;]+)$")


def _summary_topic(q: str, p: Patterns) -> str:
    """The topic a summary is asked of (what the documents say about something; "a summary of X"); "" when it
    is asked of the documents themselves."""
    m = _SAYS_ABOUT.search(q) or next((m for r in p.summary_about if (m := r.search(q))), None)
    topic = clean_topic(m.group("topic")) if m else ""
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
            topic = clean_topic(m.group("topic"))
            if not topic:
                continue
            if p.doc_only.match(topic):  # "tell me about these articles": a summary
                return Kind("summary", "", length_of(q, p))
            if kind == "entity" and r is p.entity[0] and not describable(topic, p, original):
                continue
            if kind == "event":
                # "what happened once <a clause>", "what happened the night <a clause>": the clause is the event
                clause = re.match(r"(?:after|when|once|following)\s", topic) is not None or bool(m.groupdict().get("clause"))
                place = re.match(r"(?:in|at|inside|outside|near)\s", topic) is not None
                topic = re.sub(r"^(?:in|at|to|on|during|near|with|inside|around|outside|within|across|after|when|once|"
                               r"following|between|along|for)\s+", "", topic)
                topic = without_period(topic)
                if place:  # "what took place at MetLife Stadium during the Chiefs-Jets game": the place is the topic
                    topic = re.sub(r"\s+during\s+(?:the |a |an |her |his |their |its )?(?:[\w'-]+ ){0,3}[\w'-]+$", "", topic)
                limit = MAX_CLAUSE_WORDS if clause else MAX_EVENT_WORDS
                long_clause = len(topic.split()) > limit and re.search(r"\b(?:that|which|who|whom|whose|to)\b", topic)
                if content_words(topic) > limit or long_clause or re.search(
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
        speaker = clean_topic(m.group("speaker"))
        rest = (m.groupdict().get("rest") or "").strip()
        verb = q[m.end("speaker"):].split()[0] if q[m.end("speaker"):].split() else ""
        if capitalised(verb, original):  # "what did the Islamic State proclaim": a name's word, not the verb
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
        return Kind("entity", speaker, scope=clean_topic(about.group("topic")) if about else "", statements=True)
    return None
