"""The shape the codebase keeps (docs/design.md): the rooms of the sweep engine import only the rooms they may, no
two modules of lrsweep/ import each other, none is over ~350 lines, no function of the sweep engine is over ~60
lines, and MLflow is imported only in lrsweep/tracking/."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lrsweep"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every lrsweep module ``name`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                imported.add(target if target in modules else base)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    return {module for module in imported if module in modules and module != name}


def test_no_two_modules_import_each_other():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    mutual = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets if a in graph[b]})
    assert mutual == []


def test_no_module_is_over_350_lines():
    sizes = {
        str(path.relative_to(PACKAGE.parent)): len(path.read_text().splitlines()) for path in PACKAGE.rglob("*.py")
    }
    assert {path: n for path, n in sizes.items() if n > 350} == {}


def test_no_function_of_the_sweep_engine_is_over_60_lines():
    long = {}
    for path in (PACKAGE / "sweep").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if function and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > 60:
                long[f"{path.relative_to(PACKAGE)}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert long == {}


def _imported_roots(path: Path) -> set[str]:
    """The top-level packages a file imports, at the top or inside a function."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
    return roots


def test_mlflow_is_imported_only_in_the_tracking_package():
    """One seam per integration: the sweep engine and the results commands reach MLflow through
    lrsweep.tracking (a Tracker per trial, a StudyTracker per study, the lookups of export, report and check)."""
    files = [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "hydra_plugins").rglob("*.py")]
    outside = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in files
        if "mlflow" in _imported_roots(path) and (PACKAGE / "tracking") not in path.parents
    )
    assert outside == []


# docs/design.md: the rooms of lrsweep/sweep/ and the rooms each may import (the top of the package, any).
ROOMS = {"space": set(), "storage": set(), "job": {"storage"}, "trials": {"job", "storage"}, "workers": {"trials"}}


def test_each_room_of_the_sweep_engine_imports_only_the_rooms_it_may():
    modules = _modules()
    wrong = {}
    for name, path in modules.items():
        parts = name.split(".")
        if parts[:2] != ["lrsweep", "sweep"] or len(parts) < 3 or parts[2] not in ROOMS:
            continue
        room = parts[2]
        for target in _imports(name, path, modules):
            other = target.split(".")
            if other[:2] != ["lrsweep", "sweep"]:
                continue  # the rest of lrsweep: schedules, training, tracking, ...
            if len(other) < 3 or other[2] not in ROOMS or (other[2] != room and other[2] not in ROOMS[room]):
                wrong.setdefault(name, []).append(target)
    assert wrong == {}


def test_every_room_is_in_the_design():
    design = (PACKAGE.parent / "docs" / "design.md").read_text()
    rooms = sorted(p.name for p in (PACKAGE / "sweep").iterdir() if (p / "__init__.py").exists())
    assert rooms == sorted(ROOMS)
    assert all(f"**`{room}/`**" in design for room in rooms)


def test_private_names_of_other_libraries_are_reached_only_in_internals():
    """Optuna's, Hydra's and OmegaConf's private names (``study._storage``, ``hydra._internal``, ...) are held in
    lrsweep/_internals.py, whose tests fail on an upgrade that moves one; elsewhere, no ``x._name`` of anything
    but ``self`` or ``cls``, and no import of a private module."""
    found = []
    for path in [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "hydra_plugins").rglob("*.py")]:
        if path == PACKAGE / "_internals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    found.append(f"{where} {ast.unparse(node)}")
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                root, *rest = node.module.split(".")
                if root != "lrsweep" and any(part.startswith("_") for part in rest):
                    found.append(f"{where} from {node.module}")
    assert found == []


def test_no_private_helper_is_imported_from_another_package():
    """A ``_name`` function or constant is its package's own: another package reaches what is public."""
    modules, found = _modules(), []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lrsweep")):
                continue
            source = node.module if f"{node.module}" in modules else node.module.rpartition(".")[0]
            source_package = (
                source
                if (PACKAGE.parent / Path(*source.split(".")) / "__init__.py").exists()
                else (source.rpartition(".")[0])
            )
            for alias in node.names:
                private = alias.name.startswith("_") and f"{node.module}.{alias.name}" not in modules
                if private and source_package != package:
                    found.append(f"{name}: from {node.module} import {alias.name}")
    assert found == []
