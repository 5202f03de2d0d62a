"""Requests in the imperative that no question pattern reads: "Fill me in on X", "Say a bit about X", "Skim the
document and tell me what matters", "Walk me through how X unfolded", "Weigh X against Y", "Round up the judges the
document names" (``request``; its verbs in ``qa/answer/data/broad_kinds.json``).
"""
from __future__ import annotations

import re

from .phrasing import (MAX_CLAUSE_WORDS, Kind, Patterns, capitalised, clean_topic, describable, is_plural, item_of,
                       length_of, side_of, without_documents, without_period)

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


def request(q: str, p: Patterns, original: str = "") -> Kind | None:
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
    topic = clean_topic(m.group("topic")) if m else ""
    body = rest[: m.start()] if m else rest
    link = _LINK_OR_AND if verb in ("compare", "contrast") else _LINK
    parts = [x.strip() for x in link.split(body, maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        return None
    return Kind("compare", without_documents(topic, p), sides=tuple(side_of(x) for x in parts))


# "... went down that Friday", "... played out last week", "... unfolded on Monday": when, after the event's verb
_WHEN_TAIL = r"(?: (?:that|this|last|on|in|during|over|at) (?:the )?[\w'-]+(?: [\w'-]+)?)?"


def _requested_event(rest: str, p: Patterns) -> Kind | None:
    """"what unfolded in the crimea in 1347", "how the second day of the trial played out": the event."""
    m = re.match(rf"^what (?:\w+ )?{p.event_verbs} (?P<topic>{_EVENT_AT} [^,;]+)$", rest) or \
        re.match(rf"^(?:how|what|the way) (?P<topic>[^,;]+?) {p.event_verbs}{_WHEN_TAIL}$", rest)
    if m is None:
        return None
    topic = without_period(re.sub(rf"^{_EVENT_AT}\s+", "", m.group("topic")))
    return Kind("event", topic) if 0 < len(topic.split()) <= MAX_CLAUSE_WORDS else None


# "the judges and prosecutors (that) the document names", "the dates mentioned in it", "the peaks that get named,
# with their heights": the noun, then a clause
_LISTED = re.compile(r"^(?P<what>[\w\s'-]+?)(?:\s+(?:that |which |who )?(?:the document|these|those|they|it)\b.*|"
                     r"\s+(?:(?:that|which|who) (?:get |got |are |were |is |was )?)?(?:mentioned|named|cited|quoted|listed|"
                     r"in|from|across|of)\b.*)?$")


def _requested_list(verb: str, rest: str, p: Patterns) -> Kind | None:
    """"round up the judges and prosecutors the document names": the things of a plural noun."""
    if verb not in p.request_list_verbs:
        return None
    m = _LISTED.match(rest)
    if m is None or not is_plural(m.group("what")):
        return None  # "name the ceo": one thing, a factoid
    item, topic = item_of(m.group("what"), p)
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
    return Kind("summary", "", length_of(rest, p))


def _requested_entity(rest: str, p: Patterns, original: str) -> Kind | None:
    """"aretovych", "hoelun", "the preparedness framework": a name or short term to describe."""
    topic = clean_topic(rest)
    words = topic.split()
    if words[:1] == ["the"] and any(capitalised(w, original) for w in words[1:]):
        named = " ".join(words[1:])  # "the Izium ambush", "the Preparedness Framework": a name
        return Kind("entity", topic) if describable(named, p, original) else None
    return Kind("entity", topic) if topic and describable(topic, p, original) else None
