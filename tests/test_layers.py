"""The model core's layering (DESIGN.md): each module imports only modules below it, and none knows of files,
tables, charts or clusters. Imports made only for type checking (``if TYPE_CHECKING:``) are not dependencies."""

from __future__ import annotations

import ast

import pytest

from .reference import ROOT

# bottom first; a module may import those on lower layers only. The setups table is data the config reads
# (issue 14 removed their cycle); userfiles reads the user's files for the config.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("engine", "benchmarks", "setups", "userfiles"),
    ("config",),
    ("rng",),
    ("catalogue", "inventory"),
    ("customers", "network"),
    ("ledger",),
    ("kpis", "aftersale", "marketing"),
    ("fulfilment",),
    ("journey",),
    ("model",),
)
LAYER = {m: i for i, group in enumerate(LAYERS) for m in group}
FILE_READERS = {"config", "userfiles"}  # the scenario loader and the shared reader of user files; nothing else reads
FOREIGN = {"pandas", "matplotlib", "dask", "distributed", "sqlite3", "tqdm", "yaml", "pathlib", "os", "shutil",
           "panel", "bokeh", "IPython"}


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str | None, str]]:
    """(line, relative module or None, absolute top-level module) of every import outside TYPE_CHECKING blocks."""
    out: list[tuple[int, str | None, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                out.append((node.lineno, (node.module or "").split(".")[0], ""))
            else:
                out.append((node.lineno, None, (node.module or "").split(".")[0]))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, None, a.name.split(".")[0]) for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


@pytest.mark.parametrize("module", sorted(LAYER))
def test_core_imports_point_down_only(module):
    tree = ast.parse((ROOT / "sim" / f"{module}.py").read_text(encoding="utf-8"))
    wrong = []
    for line, rel, absolute in _runtime_imports(tree):
        if rel is not None:
            if rel not in LAYER:
                wrong.append(f"line {line}: imports sim.{rel}, which is not part of the model core")
            elif LAYER[rel] >= LAYER[module]:
                wrong.append(f"line {line}: imports sim.{rel}, on layer {LAYER[rel]}; {module} is on {LAYER[module]}")
        elif absolute == "sim":
            wrong.append(f"line {line}: imports the package sim (use a relative import of a lower module)")
        elif absolute in FOREIGN and module not in FILE_READERS:
            wrong.append(f"line {line}: imports {absolute}: the model core knows nothing of files, tables, "
                         "charts or clusters")
    assert not wrong, f"sim/{module}.py: " + "; ".join(wrong)


def test_every_core_module_has_a_layer():
    """A new module in the mypy-checked core must be placed on a layer here."""
    import tomllib

    files = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    core = {f.removeprefix("sim/").removesuffix(".py") for f in files} - {"seeding", "batch"}
    assert core == set(LAYER)
