"""``python -m qa``: index documents, search them, ask, evaluate. Only this module prints.

The ``eval`` command runs the evaluation tools of ``qa_tools`` (outside the runtime package), imported when
it is used.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .answer.config import Partial
from .answer.llm import LLMUnavailable
from .answer.pipeline import stream_answer
from .embed.words import word_vectors
from .errors import (
    IndexFormatError, IndexLockedError, IndexNotFoundError, LoadError, ModelMismatchError, StoreUnavailableError,
)
from .index import ChunkingConfig, build_index, load_index, resolve_store
from .search.fusion import RetrievalConfig
from .store.factory import is_milvus

DEFAULT_INDEX = os.environ.get("QA_INDEX_DIR", "index")


def _common(sp: argparse.ArgumentParser, json_flag: bool = True, collection: bool = True) -> None:
    sp.add_argument("--index-dir", default=DEFAULT_INDEX, help=f"index folder (default: {DEFAULT_INDEX}; env QA_INDEX_DIR)")
    sp.add_argument("--store", default=os.environ.get("QA_STORE_URI") or None, metavar="URI",
                    help="where the index lives instead of --index-dir: milvus:///path/qa.db (Milvus Lite file) or "
                         "http://host:19530 (a Milvus server), optionally ?collection=NAME (env QA_STORE_URI; "
                         "pip install -r requirements-scale.txt)")
    if collection:
        sp.add_argument("--collection", metavar="NAME",
                        help="a named collection of the index folder or of the --store (see `collections`; default: "
                             "the index folder's or the store's own, 'default')")
    sp.add_argument("--db", default=os.environ.get("QA_DB"),
                    help="the collections and saved chats database (default: <index-dir>/qa.sqlite3; env QA_DB; "
                         "with a Milvus --store they live in the store)")
    if json_flag:
        sp.add_argument("--json", action="store_true", help="machine-readable JSON output")


def _add_collection_commands(sub: Any) -> None:
    sp = sub.add_parser("collections", help="list, create, rename or delete named collections (each its own index "
                                            "folder, or Milvus prefix with --store; shared with the web chat)")
    sp.add_argument("action", nargs="?", default="list", choices=["list", "create", "rename", "delete"])
    sp.add_argument("names", nargs="*", metavar="NAME", help="create NAME | rename NAME NEW_NAME | delete NAME")
    sp.add_argument("--yes", action="store_true", help="delete without asking")
    _common(sp, collection=False)


def _app_state(args: argparse.Namespace) -> Any:
    """The web app's state for these arguments: in the Milvus store of ``--store``, else the SQLite file."""
    from .web.appstate import open_app_state
    from .web.config import AppConfig

    return open_app_state(AppConfig(index_dir=Path(args.index_dir), db=Path(args.db) if args.db else None,
                                    store=args.store if is_milvus(args.store) else None))


def _collections(args: argparse.Namespace) -> int:
    """Named collections of the index folder, or of the Milvus store (the web chat's Collection picker shows the
    same)."""
    from .web.appdb import default_db_path

    wanted = {"list": 0, "create": 1, "rename": 2, "delete": 1}[args.action]
    if len(args.names) != wanted:
        raise ValueError(f"collections {args.action} takes {wanted} name{'s' * (wanted != 1)}, got {len(args.names)}")
    path = Path(args.db) if args.db else default_db_path(Path(args.index_dir))
    if args.action == "list" and not is_milvus(args.store) and not path.is_file():  # only the folder's own one
        print(json.dumps([{"name": "default", "folder": args.index_dir, "default": True}]) if args.json
              else f"default\t{args.index_dir}\t(default)")
        return 0
    state = _app_state(args)
    try:
        cols = state.collections
        if args.action == "create":
            c = cols.create(args.names[0])
            print(f"created collection {c.name!r} in {cols.store_uri(c)}")
        elif args.action == "rename":
            c = cols.rename(cols.find(args.names[0]).id, args.names[1])
            print(f"renamed {args.names[0]!r} to {c.name!r}")
        elif args.action == "delete":
            return _delete_collection(cols, args.names[0], args.yes)
        elif args.json:
            print(json.dumps([{"name": c.name, "id": c.id, "folder": cols.store_uri(c), "default": c.is_default,
                               "created": c.created} for c in cols.list()], indent=2, ensure_ascii=False))
        else:
            for c in cols.list():
                print(f"{c.name}\t{cols.store_uri(c)}" + ("\t(default)" if c.is_default else ""))
    finally:
        state.close()
    return 0


def _delete_collection(cols: Any, name: str, yes: bool) -> int:
    """Delete a collection and its index: asked first on a terminal, else only with --yes."""
    c = cols.find(name)
    if not c.is_default and not yes:
        if not sys.stdin.isatty():
            raise ValueError(f"deleting {c.name!r} removes its index {cols.store_uri(c)}: add --yes")
        if input(f"Delete collection {c.name!r} and its index {cols.store_uri(c)}? [y/N] ").strip().lower() \
                not in ("y", "yes"):
            print("kept")
            return 1
    cols.delete(c.id)
    print(f"deleted collection {c.name!r}")
    return 0


def _add_index_commands(sub: Any) -> None:
    """The commands that work on one index: index, search, list, check, remove, ask."""
    sp = sub.add_parser("index", help="build or update the index from files and folders (incremental)")
    sp.add_argument("sources", nargs="+", help="files and/or folders (.txt .md .html .pdf .docx)")
    _common(sp)
    sp.add_argument("--chunk-size", type=int, help="max model tokens per passage (default 256, kept from the index)")
    sp.add_argument("--chunk-overlap", type=int, help="tokens of trailing sentences repeated in the next passage")
    sp.add_argument("--rebuild", action="store_true", help="re-chunk and re-embed everything")
    sp.add_argument("--no-prune", action="store_true", help="keep documents that disappeared from the folders")
    sp.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                    help="load, chunk and embed in a Ray Data actor pool: a local Ray (no ADDRESS) or the Ray "
                         "cluster at ADDRESS (pip install -r requirements-scale.txt)")

    sp = sub.add_parser("search", help="print the passages that best match a question")
    sp.add_argument("question")
    _common(sp)
    sp.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    sp.add_argument("--doc", action="append", dest="doc_ids", metavar="DOC_ID", help="only search this document (repeatable)")
    sp.add_argument("--fusion", choices=["rrf", "convex", "dense", "sparse"], help="override the fusion method")

    sp = sub.add_parser("list", help="list the indexed documents")
    _common(sp)

    sp = sub.add_parser("check", help="verify the index: manifest, file hashes, vector/passage alignment")
    _common(sp)

    sp = sub.add_parser("remove", help="remove documents from the index by id")
    sp.add_argument("doc_ids", nargs="+")
    _common(sp)

    sp = sub.add_parser("ask", help="answer a question with cited, verbatim quotes from the documents")
    sp.add_argument("question")
    _common(sp)
    sp.add_argument("-k", type=int, default=5, help="passages to read (default 5)")
    sp.add_argument("--mode", choices=["quotes", "written"], default="quotes",
                    help="quotes: verbatim quotes, no model (default); written: a local or OpenAI-compatible LLM "
                         "writes from the quotes (pip install -r requirements-llm.txt, or set QA_LLM_BASE_URL)")
    sp.add_argument("--doc", action="append", dest="doc_ids", metavar="DOC_ID", help="only use this document (repeatable)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m qa",
        description="Question answering over your own documents: every answer quoted from its source.",
        epilog="Examples:\n  python -m qa index documents/\n  python -m qa search \"who was wounded?\"\n"
               "  python -m qa eval beir ../shared/data/beir-scifact",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_index_commands(sub)
    _add_collection_commands(sub)

    sp = sub.add_parser("eval", help="evaluate retrieval on a public benchmark, or replay saved feedback cases")
    sp.add_argument("dataset", choices=["beir", "multihop", "squad", "cases", "squad-answers", "multihop-answers",
                                        "conflicts", "claims", "latency", "reader", "abstention", "nli", "yesno",
                                        "broad"],
                    help="a benchmark, or 'cases': evaluation cases saved from the web chat's feedback (JSONL)")
    sp.add_argument("path", help="dataset folder (e.g. ../shared/data/beir-scifact; reader: ../shared/data), "
                                 "or the cases file")
    sp.add_argument("--split", default="test", help="BEIR qrels split (default test; tune on train)")
    sp.add_argument("--index-dir", help="index folder for the corpus (default: a cache under ~/.cache/qa/eval)")
    sp.add_argument("--chunk-size", type=int, default=256)
    sp.add_argument("--chunk-overlap", type=int, default=0)
    sp.add_argument("--fusion", choices=["rrf", "convex", "dense", "sparse"], default="convex")
    sp.add_argument("--dense-weight", type=float, default=0.5)
    sp.add_argument("--rrf-k", type=int, default=60)
    sp.add_argument("--limit", type=int, help="only the first N queries (multihop, squad; reader: per data set)")
    sp.add_argument("-k", type=int, help="cases: passages per question (default: each case's own)")
    sp.add_argument("--no-answers", action="store_true", help="cases: check retrieval only, not the answers' citations")
    sp.add_argument("--negatives", help="squad-answers: off-topic questions, a BEIR queries.jsonl "
                                        "(default: beir-scifact/queries.jsonl beside the SQuAD folder)")
    sp.add_argument("--no-reader", action="store_true", help="squad-answers: answer without the reader (baseline)")
    sp.add_argument("--no-verify", action="store_true", help="squad-answers, abstention: without the entailment "
                                                              "model's check of the reader's span (baseline)")
    sp.add_argument("--json", action="store_true")
    return p


def _print_hits(hits: list[Any]) -> None:
    if not hits:
        print("No passages found.")
    for i, h in enumerate(hits, 1):
        where = f"{h.doc_id}  [{h.start}:{h.end}]" + (f"  page {h.page}" if h.page else "")
        print(f"[{i}] {h.title}  (score {h.score:.4f})\n    {where}")
        print(textwrap.indent(textwrap.fill(h.text, 100), "    "))
        print()


def _index(args: argparse.Namespace) -> int:
    idx = build_index(args.sources, args.index_dir, chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap,
                      rebuild=args.rebuild, prune=not args.no_prune, progress=not args.json and sys.stderr.isatty(),
                      store=args.store, ray=args.ray)
    r = idx.last_report
    assert r is not None  # build_index always updates
    # The word table (once per machine, ~10 s) is built here rather than by `ask`, whose one-shot process
    # exits before a background build could finish.
    word_vectors(idx.embedder).wait()
    if args.json:
        print(json.dumps({**r.__dict__, "index_dir": str(idx.location)}, indent=2))
    else:
        for src, reason in r.failed:
            print(f"skipped {src}: {reason}", file=sys.stderr)
        print(f"{idx.location}: {r.summary()}")
    return 0 if not r.failed or (r.added or r.updated or r.unchanged) else 1


def _search(args: argparse.Namespace) -> int:
    hits = load_index(args.index_dir, store=args.store).search(args.question, args.k, doc_ids=args.doc_ids, fusion=args.fusion)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
    else:
        _print_hits(hits)
    return 0


def _list(args: argparse.Namespace) -> int:
    idx = load_index(args.index_dir, verify=False, store=args.store)
    docs = idx.documents()
    if args.json:
        rows = [{k: v for k, v in sd.to_json().items() if k != "text"} for sd in docs]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for sd in docs:
            print(f"{sd.document.id}\t{sd.n_passages} passages\t{sd.document.title}")
        print(f"{len(docs)} documents, {len(idx)} passages in {idx.location}")
    return 0


def _check(args: argparse.Namespace) -> int:
    where = resolve_store(args.index_dir, args.store)
    problems = where.check()
    if args.json:
        print(json.dumps({"ok": not problems, "problems": problems}, indent=2))
    else:
        print("\n".join(f"problem: {p}" for p in problems) or f"{where.uri}: index is sound")
    return 1 if problems else 0


def _remove(args: argparse.Namespace) -> int:
    idx = load_index(args.index_dir, store=args.store)
    r = idx.remove(args.doc_ids)
    print(json.dumps(r.__dict__) if args.json else f"{idx.location}: {r.summary()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("qa").setLevel(logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "index": _index, "search": _search, "list": _list, "check": _check, "remove": _remove, "ask": _ask,
        "eval": _eval, "collections": _collections,
    }
    try:
        if getattr(args, "collection", None) and is_milvus(args.store):  # that collection's Milvus prefix
            state = _app_state(args)
            try:
                args.store = state.collections.store_uri(state.collections.find(args.collection))
            finally:
                state.close()
        elif getattr(args, "collection", None):  # --collection NAME: that collection's index folder
            from .web.collections import collection_dir

            args.index_dir = str(collection_dir(args.index_dir, args.collection, args.db))
        return commands[args.command](args)
    except (IndexNotFoundError, IndexFormatError, ModelMismatchError, IndexLockedError, LoadError, KeyError,
            ValueError, StoreUnavailableError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:  # a dataset or cases path that does not exist
        print(f"error: {e.filename}: no such file or folder", file=sys.stderr)
        return 2


def _eval_cases(args: argparse.Namespace) -> int:
    """Replay evaluation cases saved from the chat: is the right passage retrieved and cited now?"""
    from qa_tools import replay

    try:
        cases = replay.load_cases(args.path)
    except OSError as e:
        print(f"error: {args.path}: {e.strerror or e}", file=sys.stderr)
        return 2
    index = load_index(args.index_dir or DEFAULT_INDEX)
    report = replay.replay(index, cases, k=args.k, check_answers=not args.no_answers)
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if args.json else replay.format_report(report))
    return 0


def _eval_reader(args: argparse.Namespace) -> int:
    """The reader on its gold passages: EM/F1 overall, has-answer, no-answer and per data set."""
    from qa.answer.reader import Reader
    from qa_tools import reading

    reader = Reader()
    if not reader.available:
        print("error: no reader model installed (qa/models/reader)", file=sys.stderr)
        return 2
    split = "heldout" if args.split == "test" else args.split
    result = reading.eval_reader(Path(args.path), reader.run, reader.threshold, split=split, limit=args.limit)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"reader, gold passage, split {split} (answered when margin > {reader.threshold:.3f})")
        print(f"{'set':<16}{'n':>7}{'EM':>8}{'F1':>8}{'answered':>10}")
        for name, r in result.items():
            print(f"{name:<16}{r['n']:>7}{r['em']:>8.2f}{r['f1']:>8.2f}{r['answered']:>9.1f}%")
    return 0


def _eval_entailment(args: argparse.Namespace) -> int:
    """The entailment model: 3-way accuracy on held-out pairs (``nli``, path = the shared data folder), or
    per-source verdicts on the labelled yes/no questions (``yesno``)."""
    from qa.answer.entail import Entailer
    from qa_tools import entailment

    if not Entailer().available:
        print("error: no entailment model installed (qa/models/nli)", file=sys.stderr)
        return 2
    if args.dataset == "nli":
        result = entailment.eval_nli(Path(args.path))
    else:
        result = entailment.eval_yesno()
    print(json.dumps(result, indent=2))
    return 0


def _eval_broad(args: argparse.Namespace) -> int:
    """Broad questions (issue 17): per kind on the dev, dev2 and held-out splits of tests/data/broad_questions.jsonl
    (--split dev, dev2, dev3, dev4, dev5, dev6, dev7, dev8, heldout; devs = dev and dev2; test = dev and heldout);
    ``path``: the shared data folder's squad-v1.1 (its factoid questions must stay factoids), or '-'."""
    from qa_tools import broad

    squad = None if args.path == "-" else Path(args.path)
    splits = {"test": ("dev", "heldout"), "devs": ("dev", "dev2")}.get(args.split, (args.split,))
    result = broad.eval_broad(splits=splits, squad=squad)
    print(json.dumps(result.to_dict(), indent=2) if args.json else broad.format_result(result))
    return 0


def _eval_abstention(args: argparse.Namespace) -> int:
    from qa_tools import gate

    split = "heldout" if args.split == "test" else args.split
    from qa.answer.config import AnswerConfig

    config = AnswerConfig(verify=not args.no_verify)
    print(json.dumps(gate.evaluate(Path(args.path), split, args.limit or 1000, config=config), indent=2))
    return 0


def _eval(args: argparse.Namespace) -> int:
    special = {"cases": _eval_cases, "reader": _eval_reader, "nli": _eval_entailment, "yesno": _eval_entailment,
               "broad": _eval_broad, "abstention": _eval_abstention, "squad-answers": _eval_answers,
               "multihop-answers": _eval_answers, "conflicts": _eval_answers, "claims": _eval_answers,
               "latency": _eval_answers}
    if args.dataset in special:
        return special[args.dataset](args)
    from qa_tools import evaluation as ev

    chunking = ChunkingConfig(max_tokens=args.chunk_size, overlap_tokens=args.chunk_overlap)
    retrieval = RetrievalConfig(fusion=args.fusion, dense_weight=args.dense_weight, rrf_k=args.rrf_k)
    index_dir = Path(args.index_dir) if args.index_dir else None
    progress = sys.stderr.isatty()
    if args.dataset == "beir":
        result = ev.eval_beir(args.path, args.split, index_dir=index_dir, chunking=chunking, retrieval=retrieval, progress=progress)
    elif args.dataset == "multihop":
        result = ev.eval_multihop(args.path, index_dir=index_dir, chunking=chunking, retrieval=retrieval,
                                  progress=progress, limit=args.limit)
    else:
        result = ev.eval_squad_retrieval(args.path, index_dir=index_dir, chunking=chunking, retrieval=retrieval,
                                         progress=progress, limit=args.limit)
    print(json.dumps(result.to_dict(), indent=2) if args.json else ev.format_result(result))
    return 0


def _print_answer(ans: Any) -> None:
    print(ans.text)
    if ans.query and ans.query != ans.question:
        print(f"\n(searched for: {ans.query})")
    if ans.citations:
        print("\nSources:")
        for c in ans.citations:
            where = f"{c.doc_id} [{c.start}:{c.end}]" + (f" page {c.page}" if c.page else "")
            print(f"[{c.n}] {c.title or c.doc_id}  {where}")
    for note in ans.notes:
        print(f"note: {note}", file=sys.stderr)


def _ask(args: argparse.Namespace) -> int:
    """Answer a question; written mode streams the model's draft to stderr when it is a terminal."""
    index = load_index(args.index_dir, store=args.store)
    live = args.mode == "written" and not args.json and sys.stderr.isatty()
    ans = None
    try:
        for event in stream_answer(index, args.question, mode=args.mode, k=args.k, doc_ids=args.doc_ids):
            if isinstance(event, Partial):
                if live:
                    print(event.delta, end="", file=sys.stderr, flush=True)
            else:
                ans = event
    except LLMUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if live:
        print("\n", file=sys.stderr)
    assert ans is not None
    if args.json:
        print(json.dumps(ans.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_answer(ans)
    return 0


def _labelled(path: str) -> str | None:
    """A labelled file: itself; a folder: None (every labelled file qa ships); missing: a clear error."""
    if not Path(path).exists():
        raise FileNotFoundError(2, "no such file or folder", path)
    return path if Path(path).is_file() else None


def _eval_answers(args: argparse.Namespace) -> int:
    """Answer-quality evaluations (see qa.answer_eval)."""
    from qa_tools import answer_eval as ae

    index_dir = Path(args.index_dir) if args.index_dir else None
    progress = sys.stderr.isatty()
    if args.dataset == "squad-answers":
        from qa.answer.config import AnswerConfig

        result = ae.eval_squad_answers(args.path, split=args.split, limit=args.limit, negatives=args.negatives,
                                       index_dir=index_dir, k=args.k or 5, progress=progress,
                                       config=AnswerConfig(reader=not args.no_reader, verify=not args.no_verify))
    elif args.dataset == "multihop-answers":
        result = ae.eval_multihop_answers(args.path, limit=args.limit, index_dir=index_dir, k=args.k or 5,
                                          progress=progress)
    elif args.dataset == "conflicts":
        # a file: that file; a folder (e.g. tests/data): every labelled file in it, first and later ones
        result = ae.eval_conflict_pairs(_labelled(args.path), index_dir=index_dir)
    elif args.dataset == "claims":
        result = ae.eval_claims(path=_labelled(args.path))
    else:
        result = ae.eval_latency(load_index(args.path))
    print(json.dumps(result.to_dict(), indent=2) if args.json else ae.format_answer_result(result))
    return 0
