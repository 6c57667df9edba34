"""The package's structure: no import cycle, short modules, the paper's numbers in one place."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "lib" / "superscale"
MAX_LINES = 900  # "about 800": the longest modules are chapter modules of 860-880 lines


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by the name of its ``__init__``)."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = ["superscale", *path.relative_to(PKG).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def _imports(tree: ast.AST):
    """Every import statement that runs, at module level or inside functions (not under TYPE_CHECKING)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (the deepest module each import names)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                # `from X import y`: y is a module when X.y is one, else a name defined in X
                targets = [
                    f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in mods else prefix for a in node.names
                ]
            for t in targets:
                while t and t not in mods:  # `import superscale.llm.x.y` -> the deepest module
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                return path[path.index(t) :] + [t]
            if t not in state:
                found = visit(t)
                if found:
                    return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_the_import_graph_is_read_correctly():
    g = import_graph()
    assert "superscale.paper" in g["superscale.exponents"]  # module level, relative
    assert "superscale.training" in g["superscale.sweep"]
    assert "superscale.weights" in g["superscale.catalog"]  # inside a function
    assert "superscale.llm.fits" in g["superscale.llm"]  # `from . import fits` in a package
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_the_package():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle (function-level imports included): " + " -> ".join(cycle)


def test_no_module_is_much_longer_than_800_lines():
    long = {
        name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def _module_level_names(tree: ast.Module):
    """Names a module defines at module level (assignments, annotated assignments, defs, classes)."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        yield n.id
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            yield node.target.id
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name


def test_every_published_constant_has_a_source():
    paper = importlib.import_module("superscale.paper")
    tree = ast.parse((PKG / "paper.py").read_text())
    constants = {n for n in _module_level_names(tree) if n.isupper() and n != "SOURCES"}
    assert {"PAPER_FIG5E", "PAPER_WIDTHS", "PAPER_LOSS_FIT"} <= constants  # the scan sees them
    missing = sorted(constants - set(paper.SOURCES))
    assert not missing, f"superscale.paper constants without a SOURCES entry: {missing}"
    unknown = sorted(set(paper.SOURCES) - constants)
    assert not unknown, f"SOURCES entries for names superscale.paper does not define: {unknown}"
    for name, src in paper.SOURCES.items():
        assert src.where.strip() and src.how.strip(), name


def test_only_the_paper_module_defines_paper_constants():
    offenders = []
    for name, path in _modules().items():
        if name == "superscale.paper":
            continue
        tree = ast.parse(path.read_text())
        offenders += [f"{name}.{n}" for n in _module_level_names(tree) if n.startswith("PAPER_")]
    assert not offenders, (
        f"published values must be defined in superscale.paper (re-export them with "
        f"`from .paper import ...`): {offenders}"
    )
