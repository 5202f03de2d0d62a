"""The layer contract: every import in ``qa`` and ``qa_tools`` points down the data path, and none forms a cycle.

Layers, bottom to top (a module may import its own layer's modules and any lower layer, never a higher one;
two packages that share a layer may not import each other). Imports inside functions and under
``TYPE_CHECKING`` count too: hiding an upward import in a function is how cycles crept in before.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("qa", "qa_tools")

# (layer name, the module prefixes in it). Siblings in one layer are independent of each other.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("qa.types", "qa.errors", "qa.paths", "qa.threads")),
    ("text", ("qa.text",)),
    ("embed", ("qa.embed", "qa.models")),  # qa.models: trained model files and their readers (the lead's)
    ("store", ("qa.store",)),
    ("ingest | search", ("qa.ingest", "qa.search")),
    ("answer", ("qa.answer",)),
    ("index", ("qa.index",)),
    ("web", ("qa.web",)),
    ("tools", ("qa_tools",)),
    ("cli", ("qa.cli",)),
    ("main", ("qa.__main__",)),
    ("api", ("qa",)),  # qa/__init__.py: the public API re-exports from every layer
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = _modules()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _resolve(module: str, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports(module: str) -> Iterator[tuple[str, int, list[str]]]:
    """(imported module, line, names imported from it) for every import statement of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, []
        elif isinstance(node, ast.ImportFrom):
            yield _resolve(module, node.level, node.module), node.lineno, [a.name for a in node.names]


def edges(module: str) -> Iterator[tuple[str, int, str]]:
    """(target module inside qa/qa_tools, line, name) edges; ``from pkg import mod`` points at ``pkg.mod``."""
    for target, line, names in imports(module):
        if target.split(".")[0] not in PACKAGES:
            continue
        if not names:
            yield target, line, ""
            continue
        for name in names:
            sub = f"{target}.{name}"
            yield (sub if sub in MODULES else target), line, name


def layer_of(module: str) -> tuple[int, str]:
    """(rank, the prefix that matched) of the longest prefix in LAYERS that ``module`` starts with."""
    best: tuple[int, str] | None = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[1])):
                best = (rank, prefix)
    if best is None:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {Path(__file__).name}")
    return best


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_imports_point_down() -> None:
    problems = []
    for module in MODULES:
        rank, prefix = layer_of(module)
        for target, line, _ in edges(module):
            t_rank, t_prefix = layer_of(target)
            if t_rank > rank or (t_rank == rank and t_prefix != prefix):
                problems.append(f"{_shown(MODULES[module])}:{line}: {module} ({LAYERS[rank][0]}) imports "
                                f"{target} ({LAYERS[t_rank][0]})")
    assert not problems, "upward or sideways imports:\n" + "\n".join(problems)


def test_no_import_cycles() -> None:
    graph = {m: sorted({t for t, _, _ in edges(m) if t in MODULES and t != m}) for m in MODULES}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_private_names_across_modules() -> None:
    """``from x import _name`` and ``x._name`` (x an imported qa module) only inside the module that defines it."""
    problems = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: set[str] = set()
        for target, line, names in imports(module):
            if target.split(".")[0] not in PACKAGES:
                continue
            problems += [f"{_shown(path)}:{line}: imports {target}.{n}" for n in names
                         if n.startswith("_") and not n.startswith("__")]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _resolve(module, node.level, node.module).split(".")[0] in PACKAGES:
                aliases |= {a.asname or a.name for a in node.names
                            if f"{_resolve(module, node.level, node.module)}.{a.name}" in MODULES}
            elif isinstance(node, ast.Import):
                aliases |= {a.asname for a in node.names if a.asname and a.name.split(".")[0] in PACKAGES}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                problems.append(f"{_shown(path)}:{node.lineno}: uses {node.value.id}.{node.attr}")
    assert not problems, "private names used across modules:\n" + "\n".join(problems)


@pytest.mark.parametrize("upward", ["from qa.index import Index", "from ..web import render"])
def test_the_contract_catches_an_upward_import(upward: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: an upward import planted in a low layer is reported."""
    planted = tmp_path / "planted.py"
    planted.write_text(f"from __future__ import annotations\n\n\ndef f() -> None:\n    {upward}\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "qa.text.planted", planted)
    with pytest.raises(AssertionError, match="qa.text.planted"):
        test_imports_point_down()


def test_the_contract_catches_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from . import b\n", encoding="utf-8")
    b.write_text("def f() -> None:\n    from .a import x\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "qa.text.a", a)
    monkeypatch.setitem(MODULES, "qa.text.b", b)
    with pytest.raises(AssertionError, match="qa.text.a -> qa.text.b -> qa.text.a|qa.text.b -> qa.text.a -> qa.text.b"):
        test_no_import_cycles()
