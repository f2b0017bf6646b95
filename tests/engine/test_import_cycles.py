"""No module-level import cycle through the trainer, its hooks, the schema or the precision settings.

The graph is read from the source with :mod:`ast`: imports at module level (inside ``try`` and
``if`` too), without those under ``if TYPE_CHECKING:``; importing ``a.b.c`` also runs the
``__init__`` of ``a`` and ``a.b``, except a module's own parent packages, which Python always
imports before it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import unreid

PACKAGE_ROOT = Path(unreid.__file__).resolve().parent
WATCHED = ("unreid.engine.epoch_hooks", "unreid.engine.unsupervised_trainer", "unreid.config.schema",
           "unreid.engine.precision", "unreid.engine.model_selection")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE_ROOT.rglob("*.py")}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(statements: list[ast.stmt], *, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements run when the module is imported (plus those for type checking, if asked)."""
    for s in statements:
        if isinstance(s, ast.Import | ast.ImportFrom):
            yield s
        elif isinstance(s, ast.If):
            if type_checking or not _is_type_checking(s.test):
                yield from _imports(s.body, type_checking=type_checking)
            yield from _imports(s.orelse, type_checking=type_checking)
        elif isinstance(s, ast.Try):
            for block in (s.body, *(h.body for h in s.handlers), s.orelse, s.finalbody):
                yield from _imports(block, type_checking=type_checking)


def _imported_modules(module: str, *, type_checking: bool = False) -> set[str]:
    found: set[str] = set()
    for node in _imports(ast.parse(MODULES[module].read_text()).body, type_checking=type_checking):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in targets:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                name = ".".join(parts[:i])
                if name in MODULES and name != module and not module.startswith(name + "."):
                    found.add(name)
    return found


def _reachable(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in graph[stack.pop()] - seen:
            seen.add(nxt)
            stack.append(nxt)
    return seen


def _cycle_members(module: str, graph: dict[str, set[str]]) -> list[str]:
    return sorted(other for other in _reachable(module, graph) if module in _reachable(other, graph))


def test_the_graph_sees_a_cycle_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle_members("a", graph) == ["a", "b", "c"] and _cycle_members("d", graph) == []
    tree = ast.parse("import x\nif TYPE_CHECKING:\n    import y\ntry:\n    import z\nexcept ImportError:\n    pass\n")
    assert [n.names[0].name for n in _imports(tree.body, type_checking=False)] == ["x", "z"]


@pytest.mark.parametrize("module", WATCHED)
def test_no_module_level_import_cycle(module: str) -> None:
    graph = {name: _imported_modules(name) for name in MODULES}
    assert _cycle_members(module, graph) == []


def test_hooks_see_the_trainer_through_a_protocol_not_by_importing_it() -> None:
    for hooks in ("unreid.engine.epoch_hooks", "unreid.engine.model_selection"):
        assert "unreid.engine.unsupervised_trainer" not in _imported_modules(hooks, type_checking=True), hooks


def test_the_schema_does_not_import_the_precision_module() -> None:
    assert "unreid.engine.precision" not in _imported_modules("unreid.config.schema", type_checking=True)
    from unreid.engine.amp_mode import AmpMode
    from unreid.engine.precision import AmpMode as ReExported

    assert ReExported is AmpMode


@pytest.mark.parametrize("module", WATCHED)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
