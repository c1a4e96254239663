"""The package's layers, read from its import graph.

Every module under ``eqsolve/`` is parsed with :mod:`ast` (nothing is
imported), and each ``import``/``from ... import`` -- absolute or relative,
at module level or inside a function -- becomes an edge of the graph.  The
rules, for every module:

(a) no cycles among eqsolve modules through module-level imports;
(b) a module imports only from its own layer or lower ones (:data:`LAYERS`);
(c) no imports inside functions, except of compiled-kernel modules and of
    the optional or heavy third-party packages in :data:`LAZY_OK`;
(d) no ``from module import _private`` of another module's private name.

The rules are general: a new module needs only a place in :data:`LAYERS`.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eqsolve"

#: low -> high; a module belongs to the longest prefix listed, and may import
#: its own layer and the layers before it
LAYERS = (
    ("base", ("eqsolve.backend", "eqsolve._validation")),
    ("domains", ("eqsolve.domains", "eqsolve.treeplex", "eqsolve._treeplex_numba", "eqsolve._treeplex_projection",
                 "eqsolve._treeplex_projection_numba")),
    ("certificates", ("eqsolve.certificates",)),        # the Certificate type and the formulas
    ("problems", ("eqsolve.problems",)),
    ("io", ("eqsolve.io",)),                            # builds problems from files and libraries
    ("results", ("eqsolve.result",)),
    ("methods", ("eqsolve.methods",)),
    ("analysis", ("eqsolve.analysis",)),                # Small-Gain Nash, second-order checks
    ("equilibria", ("eqsolve.equilibria",)),            # enumeration (methods' and analyses' results)
    ("front", ("eqsolve", "eqsolve.cli", "eqsolve.__main__")),
)

#: third-party packages a function may import: optional dependencies (absent
#: from a plain install) and scipy, whose submodules take longer to import than
#: all of eqsolve and serve a few code paths each
LAZY_OK = frozenset({"cupy", "cvxpy", "dask", "distributed", "h5py", "highspy", "matplotlib",
                     "mpmath", "nashpy", "numba", "pygambit", "pyspiel", "open_spiel", "scipy", "tqdm", "zarr"})

#: compiled kernels (Numba, CuPy) load when a solve asks for them, so that
#: their compilers are never imported otherwise
KERNEL = re.compile(r"(^|_)(numba|cupy)(_|$)")

METHODS = "eqsolve.methods"


@dataclass(frozen=True)
class Import:
    source: str      # the importing module
    target: str      # the imported module (an eqsolve module, or a third-party top-level name)
    names: tuple     # the names taken by ``from target import names`` that are not modules
    line: int
    lazy: bool       # inside a function
    typing_only: bool  # under ``if TYPE_CHECKING:``

    def __str__(self):
        where = "inside a function" if self.lazy else "at module level"
        what = f"from {self.target} import {', '.join(self.names)}" if self.names else self.target
        return f"{self.source}:{self.line} imports {what} ({where})"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str, modules) -> bool:
    return modules[name].name == "__init__.py"


def _absolute(source: str, node: ast.ImportFrom, modules) -> str:
    if not node.level:
        return node.module
    base = source.split(".")
    if not _is_package(source, modules):
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _walk(tree):
    """Yield ``(node, lazy, typing_only)`` for every import statement of a module."""
    def visit(node, lazy, typing_only):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, lazy, typing_only
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, True, typing_only)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from visit(child, lazy, True)
            else:
                yield from visit(child, lazy, typing_only)
    yield from visit(tree, False, False)


def imports() -> list[Import]:
    """Every import of every eqsolve module (standard-library ones left out)."""
    modules = _modules()
    out = []
    for source, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, lazy, typing_only in _walk(tree):
            if isinstance(node, ast.Import):
                targets = [(a.name, ()) for a in node.names]
            else:
                mod = _absolute(source, node, modules)
                if node.level == 0 and mod == "__future__":
                    continue
                # ``from pkg import sub`` imports the module pkg.sub; other names come from pkg
                subs = [a.name for a in node.names if f"{mod}.{a.name}" in modules]
                names = tuple(a.name for a in node.names if f"{mod}.{a.name}" not in modules)
                targets = [(f"{mod}.{s}", ()) for s in subs] + ([(mod, names)] if names else [])
            for target, names in targets:
                top = target.split(".")[0]
                if top == "eqsolve":
                    if target not in modules:
                        raise AssertionError(f"{source}:{node.lineno} imports {target}, "
                                             "which is not a module of the package")
                elif top in sys.stdlib_module_names:
                    if not lazy:
                        continue
                else:
                    target = top
                out.append(Import(source, target, names, node.lineno, lazy, typing_only))
    return out


def layer(module: str) -> int:
    """The rank of ``module`` in :data:`LAYERS` (by its longest listed prefix)."""
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    if rank is None:
        raise AssertionError(f"{module} has no layer: give it a place in LAYERS")
    return rank


def _internal(imp: Import) -> bool:
    return imp.target.split(".")[0] == "eqsolve"


def _in_methods(module: str) -> bool:
    return module == METHODS or module.startswith(METHODS + ".")


def cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-import)."""
    graph: dict[str, set] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, found = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def violations(imps, rules: str = "abcd") -> list[str]:
    """Every broken rule among ``imps``, one line each, of the ``rules`` asked for."""
    out = []
    runtime = [(i.source, i.target) for i in imps
               if _internal(i) and not i.lazy and not i.typing_only]
    out += [f"(a) import cycle: {' <-> '.join(c)}" for c in cycles(runtime)]
    for i in imps:
        if _internal(i) and layer(i.target) > layer(i.source):
            out.append(f"(b) {i}: layer '{LAYERS[layer(i.source)][0]}' imports the higher "
                       f"layer '{LAYERS[layer(i.target)][0]}'")
        if i.lazy:
            kernel = _internal(i) and KERNEL.search(i.target.rsplit(".", 1)[-1])
            if not (kernel or (not _internal(i) and i.target in LAZY_OK)):
                out.append(f"(c) {i}: import it at the top of the module")
        private = [n for n in i.names if n.startswith("_") and not n.startswith("__")]
        if _internal(i) and private and i.target != i.source:
            out.append(f"(d) {i}: {', '.join(private)} is private to {i.target}")
    return [v for v in out if v[1] in rules]


IMPORTS = imports()


def test_the_import_graph_is_read():
    # the parser sees both kinds of import and resolves relative ones
    edges = {(i.source, i.target) for i in IMPORTS}
    assert ("eqsolve", "eqsolve.methods") in edges
    assert ("eqsolve.problems.base", "eqsolve.certificates") in edges
    assert any(i.lazy and i.target == "matplotlib" for i in IMPORTS)
    assert all(i.source in _modules() for i in IMPORTS)


def test_every_module_has_a_layer():
    for name in _modules():
        layer(name)


def test_the_rules_catch_what_they_forbid():
    bad = [Import("eqsolve.domains", "eqsolve.problems.base", ("Problem",), 1, False, False),
           Import("eqsolve.problems.base", "eqsolve.domains", (), 1, False, False),
           Import("eqsolve.problems.vi", "eqsolve.certificates", ("_x",), 2, True, False),
           Import("eqsolve.problems.vi", "numpy", (), 3, True, False),
           Import("eqsolve.methods.pdhg", "eqsolve.methods._numba_kernels", ("run",), 4, True,
                  False),
           Import("eqsolve.result", "matplotlib", (), 5, True, False)]
    found = violations(bad)
    assert [v[:3] for v in found] == ["(a)", "(b)", "(c)", "(d)", "(c)"], found
    assert "eqsolve.domains <-> eqsolve.problems.base" in found[0]


def test_layers_hold_outside_the_methods_package():
    found = violations([i for i in IMPORTS if not _in_methods(i.source)])
    assert not found, "\n".join(found)


def test_methods_import_no_higher_layer_and_no_cycle():
    found = violations([i for i in IMPORTS if _in_methods(i.source)], rules="ab")
    assert not found, "\n".join(found)


def test_methods_import_at_the_top_and_no_private_names():
    found = violations([i for i in IMPORTS if _in_methods(i.source)], rules="cd")
    assert not found, "\n".join(found)
