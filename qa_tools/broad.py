"""``python -m qa eval broad``: the broad-question set of issue 17, per kind, on its dev and held-out splits.

A question is right when the answer is found, cites the documents it must (``cite``), quotes only the named
document when the question names one (``only_document``), and its quotes contain every key between them
(``qa_tools.broad_set``). Also measured: the kind classifier on the set (its labels) and on SQuAD v1.1 dev
questions, which are factoids and must stay on the factoid path (the share routed to a broad answer).

Each corpus is indexed once with the bundled model under ``~/.cache/qa/eval/broad-<corpus>`` (incremental).
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.answer.broad import Kind, classify, resolve
from qa.answer.broad.learned import fallback
from qa.embed.base import Embedder
from qa.embed.registry import default_embedder
from qa.embed.words import word_vectors
from qa.index import Index, build_index
from qa.paths import cache_dir
from qa.types import Answer, Document

from .broad_set import SPLITS, BroadQuestion, load_corpus, load_questions
from .reading import RESERVED

logger = logging.getLogger(__name__)

# the set's kind names -> the classifier's
KIND_OF = {"comparison": "compare"}


@dataclass
class Outcome:
    id: str
    split: str
    kind: str
    question: str
    right: bool
    why: str
    classified: str
    seconds: float


@dataclass
class BroadResult:
    outcomes: list[Outcome] = field(default_factory=list)
    squad_routed: dict[str, Any] = field(default_factory=dict)

    def table(self) -> dict[str, dict[str, Any]]:
        """Per split, per kind: right / total."""
        out: dict[str, dict[str, Any]] = {}
        for split in SPLITS:
            rows = [o for o in self.outcomes if o.split == split]
            if not rows:
                continue
            kinds: dict[str, list[Outcome]] = defaultdict(list)
            for o in rows:
                kinds[o.kind].append(o)
            out[split] = {k: f"{sum(o.right for o in v)}/{len(v)}" for k, v in sorted(kinds.items())}
            out[split]["all"] = f"{sum(o.right for o in rows)}/{len(rows)}"
            out[split]["accuracy"] = round(sum(o.right for o in rows) / len(rows), 3) if rows else 0.0
            out[split]["kind recognised"] = f"{sum(o.classified == KIND_OF.get(o.kind, o.kind) for o in rows)}/{len(rows)}"
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"per_split": self.table(), "squad_routed": self.squad_routed,
                "wrong": [o.__dict__ for o in self.outcomes if not o.right]}


def judge(q: BroadQuestion, ans: Answer) -> tuple[bool, str]:
    """(right, why not) of one answer."""
    if not ans.found:
        return False, "not found"
    cited = [c.doc_id.rsplit("/", 1)[-1] for c in ans.citations]
    if not q.cited_enough(cited):
        return False, f"cites {sorted(set(cited))}, must cite {list(q.cite)}"
    if q.only_document and any(c != q.only_document for c in cited):
        return False, f"quotes other documents than {q.only_document}"
    quotes = "\n".join(c.quote for c in ans.citations)
    missing = [k for k, p in zip(q.keys, q.patterns(), strict=True) if not p.search(quotes)]
    if missing:
        return False, f"keys not quoted: {missing}"
    return True, ""


def corpus_index(name: str, docs: Sequence[Document], index_root: Path | None = None) -> Index:
    folder = (index_root or cache_dir() / "eval") / f"broad-{name}"
    return build_index(list(docs), folder)


def path_kind(text: str, embedder: Embedder | None, *, embedded: str = "", references: int = 0) -> Kind | None:
    """The kind the answer path gives ``text`` (a question, its named documents replaced by "the document"):
    its patterns, then (with ``embedder``) the learned fallback on the vector of ``embedded`` (default ``text``:
    the product embeds the question as asked)."""
    k = classify(text, references)
    if k is None and embedder is not None:
        k = fallback(text, embedder.encode_queries([embedded or text])[0], embedder.name)
    return k


def _kind_of(question: str, docs: Sequence[Document], embedder: Embedder | None = None) -> str:
    target = resolve(question, docs)
    k = path_kind(target.question, embedder, embedded=question, references=target.references)
    return k.kind if k else "factoid"


def eval_broad(*, splits: Sequence[str] = ("dev", "heldout"), index_root: Path | None = None,
               squad: Path | None = None) -> BroadResult:
    """Answer every question of the set (the given splits) and judge it; with ``squad``, also the share of
    SQuAD dev questions the classifier sends to a broad answer."""
    questions = [q for q in load_questions() if q.split in splits]
    result = BroadResult()
    indexes: dict[str, Index] = {}
    for q in questions:
        if q.corpus not in indexes:
            docs = load_corpus(q.corpus)
            indexes[q.corpus] = corpus_index(q.corpus, [_named(d) for d in docs], index_root)
            indexes[q.corpus].embedder.warm_up()
            # the word table, ready before the first question: answered meanwhile, words are encoded at full
            # precision rather than read from the float16 table, and a close ranking can tip either way
            word_vectors(indexes[q.corpus].embedder).wait()
        idx = indexes[q.corpus]
        t0 = time.perf_counter()
        ans = idx.ask(q.question)
        dt = time.perf_counter() - t0
        right, why = judge(q, ans)
        docs_in = [sd.document for sd in idx.documents()]
        result.outcomes.append(Outcome(q.id, q.split, q.kind, q.question, right, why, _kind_of(q.question, docs_in, idx.embedder),
                                       round(dt, 3)))
    if squad is not None:
        result.squad_routed = squad_routing(squad, default_embedder())
        result.squad_routed["factoid_guard"] = {k: v for k, v in factoid_guard(squad).items() if k != "rows"}
    return result


def _named(d: Document) -> Document:
    """The set's documents are named by file name (their id); the index keeps that id."""
    return d


def squad_factoids(path: Path) -> list[str]:
    """The SQuAD v1.1 dev questions (``path``: the file or its folder) without the six reserved articles."""
    data = json.loads((path / "dev-v1.1.json" if path.is_dir() else path).read_text(encoding="utf-8"))
    return [qa["question"] for a in data["data"] if a["title"] not in RESERVED for p in a["paragraphs"] for qa in p["qas"]]


def squad_routing(path: Path, embedder: Embedder | None = None) -> dict[str, Any]:
    """How many SQuAD v1.1 dev questions (factoids) the classifier sends to a broad answer, by kind, with examples
    (with ``embedder``: its patterns, then the learned fallback, as the answer path does). The six reserved
    articles are left out: this figure guides the patterns, and they are never tuned on."""
    qs = squad_factoids(path)
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for q in qs:
        k = path_kind(q, embedder)
        if k is not None:
            kinds[k.kind] += 1
            if len(examples[k.kind]) < 5:
                examples[k.kind].append(q)
    return {"questions": len(qs), "routed": sum(kinds.values()), "share": round(sum(kinds.values()) / len(qs), 4),
            "by_kind": dict(kinds), "examples": dict(examples)}


def factoid_guard(path: Path, limit: int = 2000) -> dict[str, Any]:
    """The factoid figures before/after, in one run: of the first ``limit`` SQuAD v1.1 dev questions, those the
    classifier sends to a broad answer are answered both ways (the pipeline, and the factoid path alone) and
    scored as ``eval squad-answers`` scores them (gold answer inside the quotes, short-answer EM). Every other
    question takes the factoid path unchanged (``broad_answer`` returns None before any work)."""
    from qa.answer.compose import quotes_answer
    from qa.answer.evidence import gather, warm
    from qa.ingest.chunking import ChunkingConfig

    from .answer_eval import contains_answer, normalize_answer, quoted_text
    from .evaluation import index_for, load_squad

    docs, questions = load_squad(path / "dev-v1.1.json" if path.is_dir() else path)
    qs = [q for q in questions if q["doc_id"].rsplit("#", 1)[0] not in RESERVED][:limit]  # never the reserved articles
    embedder = default_embedder()
    routed = [q for q in qs if path_kind(q["question"], embedder) is not None]
    if not routed:
        return {"questions": len(qs), "routed": 0}
    index = index_for("squad-v1.1", docs, None, embedder, ChunkingConfig(), progress=False)
    warm(index)
    rows = []
    for q in routed:
        before = quotes_answer(index, q["question"], q["question"], gather(index, q["question"]))
        after = index.ask(q["question"])
        rows.append({
            "question": q["question"],
            "before_gold_in_quotes": before.found and contains_answer(quoted_text(before), q["answers"]),
            "after_gold_in_quotes": after.found and contains_answer(quoted_text(after), q["answers"]),
            "before_em": before.answer is not None and any(
                normalize_answer(before.answer.text) == normalize_answer(g) for g in q["answers"]),
            "after_em": after.answer is not None and any(
                normalize_answer(after.answer.text) == normalize_answer(g) for g in q["answers"]),
        })
    n = len(rows)
    return {"questions": len(qs), "routed": n, **{k: round(sum(r[k] for r in rows) / n, 3) for k in rows[0] if
                                                   k != "question"}, "rows": rows}


def format_result(result: BroadResult) -> str:
    lines = []
    for split, row in result.table().items():
        lines.append(f"{split:8s} " + "  ".join(f"{k}: {v}" for k, v in row.items()))
    if result.squad_routed:
        r = result.squad_routed
        lines.append(f"SQuAD dev factoids routed to a broad answer: {r['routed']}/{r['questions']} ({r['share']:.2%}) "
                     f"{r['by_kind']}")
        if r.get("factoid_guard"):
            lines.append(f"  of the first 2,000, answered both ways (factoid path / pipeline): {r['factoid_guard']}")
    wrong = [o for o in result.outcomes if not o.right]
    if wrong:
        lines.append("wrong:")
        lines += [f"  {o.id} [{o.split} {o.kind} -> {o.classified}] {o.question}  ({o.why})" for o in wrong]
    return "\n".join(lines)
