"""The package layout tells the pipeline; a lower stage never imports a higher one."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import spinspice

ORDER = ["spintronic_cells", "netlists", "array_builder", "analysis", "training", "cli"]
ROOT = Path(spinspice.__file__).parent


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "spinspice" or len(parts) < 2:
        return None
    return ORDER.index(parts[1]) if parts[1] in ORDER else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def test_no_upward_imports() -> None:
    violations = []
    files = sorted(ROOT.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        rel = path.relative_to(ROOT)
        own = _stage("spinspice." + ".".join(rel.with_suffix("").parts))
        if own is None:
            continue
        for mod in _imports(path):
            other = _stage(mod)
            if other is not None and other > own:
                violations.append(f"{rel} imports {mod}")
    assert violations == []


def test_physics_stage_uses_numpy_and_scipy_only() -> None:
    allowed = {"numpy", "scipy", "spinspice", "__future__"}
    stdlib_ok = set(sys.stdlib_module_names)  # the standard library is fine
    for path in (ROOT / "spintronic_cells").rglob("*.py"):
        for mod in _imports(path):
            top = mod.split(".")[0]
            assert top in allowed | stdlib_ok, f"{path.name} imports {mod}"


def test_import_spinspice_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, spinspice; "
        "heavy = [m for m in ('pandas', 'jinja2', 'matplotlib', 'PySpice', 'scipy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
