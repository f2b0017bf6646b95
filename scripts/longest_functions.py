"""The longest functions of a source tree, with their parameter counts.

    python scripts/longest_functions.py src/unreid 5
"""
import ast
import pathlib
import sys

rows = []
for path in pathlib.Path(sys.argv[1]).rglob("*.py"):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            bound = 1 if a.args and a.args[0].arg in ("self", "cls") else 0
            params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) - bound
            rows.append((node.end_lineno - node.lineno + 1, params, f"{path.relative_to(sys.argv[1])}:{node.name}"))
for lines, params, name in sorted(rows, reverse=True)[: int(sys.argv[2]) if len(sys.argv) > 2 else 5]:
    print(f"{lines:4d} lines {params:3d} params  {name}")
