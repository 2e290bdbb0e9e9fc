"""The package layout tells the pipeline: no upward import, and no import cycle anywhere.

Every import of every module counts (module level and inside functions), except those
under ``if TYPE_CHECKING:`` (never executed). A cycle inside a stage is as much a defect
as one across stages: it makes the data flow unreadable from the tree.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import spinspice

#: A study runs training jobs too, so ``studies`` sits above ``training``.
ORDER = ["spintronic_cells", "netlists", "array_builder", "analysis", "training", "studies", "cli"]
ROOT = Path(spinspice.__file__).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["spinspice", *parts])


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "spinspice" or len(parts) < 2:
        return None
    return ORDER.index(parts[1]) if parts[1] in ORDER else None


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[str]:
    """Absolute module names imported by ``path`` (``from a import b`` gives a and a.b)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for imp in _imports(path):
            if imp in modules and imp != name:
                deps.add(imp)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
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
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in graph:
        if v not in index:
            strong(v)
    return out


def test_no_upward_imports() -> None:
    violations = []
    files = sorted(ROOT.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        own = _stage(_module_name(path))
        if own is None:
            continue
        for mod in _imports(path):
            other = _stage(mod)
            if other is not None and other > own:
                violations.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert violations == []


def test_cli_is_a_stage_and_covered() -> None:
    graph = _graph()
    cli_modules = [m for m in graph if m.startswith("spinspice.cli")]
    assert "spinspice.cli" in cli_modules and len(cli_modules) >= 6
    assert all(_stage(m) == ORDER.index("cli") for m in cli_modules)


def test_no_import_cycles_anywhere() -> None:
    assert _cycles(_graph()) == []


def test_cycle_detector_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_physics_stage_uses_numpy_and_scipy_only() -> None:
    allowed = {"numpy", "scipy", "spinspice", "__future__"}
    stdlib_ok = set(sys.stdlib_module_names)  # the standard library is fine
    for path in (ROOT / "spintronic_cells").rglob("*.py"):
        for mod in _imports(path):
            top = mod.split(".")[0]
            assert top in allowed | stdlib_ok, f"{path.name} imports {mod}"


def test_import_spinspice_is_light() -> None:
    import subprocess

    code = (
        "import sys, spinspice; "
        "heavy = [m for m in ('pandas', 'jinja2', 'matplotlib', 'PySpice', 'scipy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
