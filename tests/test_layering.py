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


def _source_of(node: ast.ImportFrom, package: str) -> str:
    """The absolute module a ``from ... import`` statement reads from."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _is_private(attr: str) -> bool:
    return attr.startswith("_") and not attr.startswith("__")


class _Imports:
    """What one module imports from the package, read statement by statement."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self.targets: set[str] = set()
        self.private: list[str] = []
        self.aliases: dict[str, str] = {}

    def plain(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "hpo_insights":
                self.targets.add(alias.name)
                if alias.asname:
                    self.aliases[alias.asname] = alias.name

    def from_(self, node: ast.ImportFrom) -> None:
        source = _source_of(node, self.package)
        if source.split(".")[0] != "hpo_insights":
            return
        for alias in node.names:
            full = f"{source}.{alias.name}"
            if full in MODULES:  # a module: from hpo_insights import _frame as F
                self.targets.add(full)
                self.aliases[alias.asname or alias.name] = full
                continue
            self.targets.add(source)
            if _is_private(alias.name):
                self.private.append(f"{self.name} imports {alias.name} from {source}")

    def attribute(self, node: ast.Attribute) -> None:
        """``alias._name`` where *alias* is an imported package module."""
        if not (isinstance(node.value, ast.Name) and node.value.id in self.aliases):
            return
        target = self.aliases[node.value.id]
        if _is_private(node.attr) and f"{target}.{node.attr}" not in MODULES:
            self.private.append(f"{self.name} uses {node.attr} of {target}")


def _imports(name: str, path: Path) -> tuple[set[str], list[str], dict[str, str]]:
    """(modules *name* imports, private names it takes from other modules, alias -> module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_nodes(tree)
    found = _Imports(name, path)
    nodes = [node for node in ast.walk(tree) if id(node) not in skip]
    for node in nodes:
        if isinstance(node, ast.Import):
            found.plain(node)
        elif isinstance(node, ast.ImportFrom):
            found.from_(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            found.attribute(node)
    return found.targets - {name}, found.private, found.aliases


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """The modules reachable from *start* by one or more imports."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for w in graph.get(todo.pop(), ()):
            if w in graph and w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module.

    Two modules are in one component when each reaches the other; the package has
    about a hundred modules, so reachability from each is cheap and plainer than Tarjan.
    """
    reach = {v: _reachable(graph, v) for v in graph}
    components = {frozenset({v} | {w for w in reach[v] if v in reach[w]}) for v in graph}
    return sorted((c for c in components if len(c) > 1), key=sorted)


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
