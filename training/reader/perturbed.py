"""No-answer examples made by changing what an answerable question asks ("perturbed" kind), the way SQuAD 2.0's
writers made many of theirs (Rajpurkar et al. 2018, table 3: entity swap 21%, number/date changes among
the rest): a name or a year of the question that its paragraph holds is replaced by one the paragraph does not
hold, and the question is paired with its own paragraph.

The replacement name comes from another paragraph of the same article (same topic, so the question stays
plausible); a year moves by 1 to 40 years. The paragraph must hold neither the new name nor the new year, so
the changed question asks about something the paragraph does not say. Written unanswerables are few here
(~1,800 in the train split); these add the kind a reader most often gets wrong: a question whose every other
word matches the paragraph.
"""
from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

NAME = re.compile(r"\b[A-Z][\w'\u2019-]*(?:\s+(?:of|the|de|von|van|da|[A-Z][\w'\u2019-]*))*(?<!\bof)(?<!\bthe)"
                  r"(?<!\bde)(?<!\bvon)(?<!\bvan)(?<!\bda)\b")
YEAR = re.compile(r"\b(1[5-9]\d\d|20[0-4]\d)\b")
NOT_NAMES = frozenset("what which who whom whose when where why how is are was were do does did can could in on at "
                      "for the a an by of to as from during after before i".split())


def _named(span: str) -> bool:
    """Whether a capitalised span may be a name (not a question word or a function word)."""
    return span.split()[0].lower() not in NOT_NAMES


def names_in(text: str) -> list[str]:
    """Capitalised spans of ``text`` inside a sentence (a crude name finder: a capital after a full stop or at
    the start is any word's)."""
    out = []
    for m in NAME.finditer(text):
        i = m.start() - 1
        while i >= 0 and text[i].isspace():
            i -= 1
        if i >= 0 and text[i] not in ".!?\"'“(" and _named(m.group(0)):
            out.append(m.group(0))
    return out


def _shape(name: str) -> tuple[int, bool]:
    """Words, and whether it is an acronym: a replacement has the same shape."""
    return len(name.split()), name.isupper()


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, flags=re.IGNORECASE) is not None


def perturb(ex: dict[str, Any], article_names: Sequence[str], rng: random.Random) -> dict[str, Any] | None:
    """``ex`` asking about another name or year than its paragraph holds, as a no-answer example; None when the
    question has no name or year of its paragraph, or no replacement is absent from the paragraph."""
    question, context = ex["question"], ex["context"]
    years = [m for m in YEAR.finditer(question) if _contains(context, m.group(0))]
    names = [(m.start(), m.end(), m.group(0)) for m in NAME.finditer(question)
             if _named(m.group(0)) and m.start() > 0 and len(m.group(0)) > 3
             and m.group(0) in article_names and _contains(context, m.group(0))]
    options: list[tuple[int, int, str]] = []
    for m in years:
        year = int(m.group(0))
        for _ in range(8):
            new = str(year + rng.choice([-1, 1]) * rng.randint(1, 40))
            if not _contains(context, new):
                options.append((m.start(), m.end(), new))
                break
    if names:
        start, end, name = rng.choice(names)
        pool = [n for n in article_names if _shape(n) == _shape(name) and n != name and not _contains(context, n)
                and not _contains(question, n)]
        if pool:
            options.append((start, end, rng.choice(pool)))
    if not options:
        return None
    start, end, new = rng.choice(options)
    changed = question[:start] + new + question[end:]
    return {**ex, "id": f"{ex['id']}-perturbed", "question": changed, "answers": [], "kind": "perturbed"}


def perturbed_negatives(examples: Sequence[dict[str, Any]], n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Up to ``n`` perturbed-question negatives from a shuffled draw of the answerable gold ``examples``."""
    if n <= 0:
        return []
    pool = [e for e in examples if e["answers"] and e["kind"] == "gold"]
    by_article: dict[str, set[str]] = {}
    for e in pool:
        by_article.setdefault(f"{e['source']}/{e['article']}", set()).update(names_in(e["context"]))
    sorted_names = {k: sorted(v) for k, v in by_article.items()}
    rng.shuffle(pool)
    out: list[dict[str, Any]] = []
    for ex in pool:
        neg = perturb(ex, sorted_names[f"{ex['source']}/{ex['article']}"], rng)
        if neg is not None:
            out.append(neg)
            if len(out) >= n:
                break
    return out
