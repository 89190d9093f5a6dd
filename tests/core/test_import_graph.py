"""The import graph of ``llamafarm_core`` has no cycles.

Built from the source with ``ast`` (nothing is imported): every ``import`` statement counts,
function-level ones included, except those under ``if TYPE_CHECKING:`` (annotations only).
Nodes are the subpackages and top-level modules of ``llamafarm_core`` (``chat``,
``retrieval``, ``projects``, …); a second check does the same for the modules inside each
subpackage. A cycle is reported with the import lines that make it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import llamafarm_core

ROOT = Path(llamafarm_core.__file__).parent
PACKAGE = ROOT.name

# (importing module, line, imported module), all as dotted names
Edge = tuple[str, int, str]


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the ``else:`` of ``if TYPE_CHECKING`` does run
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
        else:
            yield from _imports(node)


def _edges() -> list[Edge]:
    edges: list[Edge] = []
    for path in sorted(ROOT.rglob("*.py")):
        module, is_package = _module_name(path)
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
                targets = [prefix] if node.module else [f"{prefix}.{a.name}" for a in node.names]
            else:
                assert node.module is not None
                # ``from pkg import mod`` imports the module pkg.mod: count both
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            edges.extend((module, node.lineno, t) for t in targets if t.split(".")[0] == PACKAGE)
    return edges


def _exists(dotted: str) -> bool:
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _node(dotted: str, depth: int) -> str | None:
    """The graph node of a module at ``depth`` (1: subpackage/top module, 2: module inside)."""
    parts = dotted.split(".")
    if len(parts) <= depth:
        return None
    node = ".".join(parts[: depth + 1])
    return node if _exists(node) else None


def _cycles(edges: list[tuple[str, str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for src, dst, _ in edges:
        graph.setdefault(src, set()).add(dst)
        graph.setdefault(dst, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _graph(depth: int) -> list[tuple[str, str, str]]:
    graph = []
    for module, line, target in _edges():
        src, dst = _node(module, depth), _node(target, depth)
        if src and dst and src != dst and src.rsplit(".", 1)[0] == dst.rsplit(".", 1)[0]:
            graph.append((src, dst, f"{module}:{line} imports {target}"))
    return graph


def _report(graph: list[tuple[str, str, str]], cycles: list[list[str]]) -> str:
    lines = []
    for component in cycles:
        lines.append(" <-> ".join(component))
        lines += [f"    {why}" for src, dst, why in graph if src in component and dst in component]
    return "\n".join(lines)


def test_subpackages_import_each_other_without_cycles() -> None:
    graph = _graph(1)
    assert len({src for src, _, _ in graph}) > 10  # the walk found the package's imports
    cycles = _cycles(graph)
    assert not cycles, "import cycles between subpackages:\n" + _report(graph, cycles)


def test_modules_inside_each_subpackage_import_each_other_without_cycles() -> None:
    graph = _graph(2)
    cycles = _cycles(graph)
    assert not cycles, "import cycles inside a subpackage:\n" + _report(graph, cycles)


def test_the_check_sees_a_function_level_cycle() -> None:
    edges = [("a", "b", "a:1"), ("b", "c", "b:1"), ("c", "a", "c:9 (in a function)")]
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles(edges[:2]) == []
