"""The import graph of hpo_insights/: no circles, no module reaching into another's private names.

Read from the source with ``ast`` (nothing is imported): every ``import`` and
``from ... import`` of an ``hpo_insights`` module, at the top of a file or inside a
function (an import moved into a function to dodge a circle is still a circle);
imports under ``if TYPE_CHECKING:`` are annotations only and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hpo_insights"

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    inside.update(id(n) for n in ast.walk(child))
    return inside


def _imports(name: str, path: Path) -> tuple[set[str], list[str], dict[str, str]]:
    """(modules *name* imports, private names it takes from other modules, alias -> module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    private: list[str] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "hpo_insights":
                    targets.add(alias.name)
                    if alias.asname:
                        aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "hpo_insights":
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:  # a module: from hpo_insights import _frame as F
                    targets.add(full)
                    aliases[alias.asname or alias.name] = full
                    continue
                targets.add(source)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    private.append(f"{name} imports {alias.name} from {source}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            target = aliases[node.value.id]
            if f"{target}.{node.attr}" not in MODULES:
                private.append(f"{name} uses {node.attr} of {target}")
    return targets - {name}, private, aliases


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    """The reader sees the package: known modules and a known edge (guards the tests below)."""
    assert {"hpo_insights", "hpo_insights._frame", "hpo_insights.io.sources"} <= set(MODULES)
    assert "hpo_insights.io.readers" in GRAPH["hpo_insights.io.sources"][0]


def test_the_checks_catch_what_they_look_for(tmp_path):
    """A circle and a private import written on purpose are found (the tests can fail)."""
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        frozenset({"a", "b", "c"})]
    source = ("from hpo_insights.trends import _helper\n"
              "from hpo_insights import _frame as F\n"
              "x = F._private\n")
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    _, private, _ = _imports("hpo_insights.probe", path)
    assert private == ["hpo_insights.probe imports _helper from hpo_insights.trends",
                       "hpo_insights.probe uses _private of hpo_insights._frame"]


def test_no_import_circle():
    """No two modules of hpo_insights import each other, directly or through others."""
    circles = _circles({name: targets for name, (targets, _, _) in GRAPH.items()})
    assert not circles, f"import circles: {[sorted(c) for c in circles]}"


def test_no_private_names_across_modules():
    """A module uses only public names of other modules (shared helpers are public names of
    private modules, e.g. ``_mask.collapsed``)."""
    private = [line for _, found, _ in GRAPH.values() for line in found]
    assert not private, "private names used across modules:\n" + "\n".join(private)
