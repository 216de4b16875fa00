"""The layering of DESIGN.md section 5, over every module of ``sim``.

- Wings by role, each importing only itself and the wings below it: scenario < core < experiments < outputs <
  interfaces.
- Inside the core, modules sit on layers and import only lower ones; the core knows nothing of files, tables,
  charts or clusters.
- Imports sit at module top; a function may import only what is heavy and optional (pandas, matplotlib, Dask,
  Panel, SALib ...) or a ``sim`` module that pulls such a library in at its top, so the light paths stay light.

Imports made only for type checking (``if TYPE_CHECKING:``) are not dependencies.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .reference import ROOT

SIM = ROOT / "sim"
WINGS = ("scenario", "core", "experiments", "outputs", "interfaces")
WING = {w: i for i, w in enumerate(WINGS)}

# the core, bottom first: a module imports modules on lower layers only
CORE_LAYERS: tuple[tuple[str, ...], ...] = (
    ("clock",),
    ("environment",),  # SimPy's, keeping its time in the clock
    ("engine",),
    ("rng",),
    ("ledger",),  # below the inventory, which books into the ledger's stock section
    ("catalogue", "inventory"),
    ("customers", "network"),
    ("kpis", "aftersale", "marketing", "choice", "browsing"),
    ("fulfilment",),
    ("journey",),
    ("model",),
)
CORE_LAYER = {m: i for i, group in enumerate(CORE_LAYERS) for m in group}
FOREIGN = {"pandas", "matplotlib", "dask", "distributed", "sqlite3", "tqdm", "yaml", "pathlib", "os", "shutil",
           "panel", "bokeh", "IPython", "ruamel", "SALib", "pyarrow"}
BELOW_WINGS = {"sim", "sim._version", "sim._build"}  # the public face (lazy above the core), the version every wing
# stamps, and which build of the core runs (compiled or its sources: the import finder sim.core installs)
PLATFORM = {"fcntl"}  # POSIX only: imported where it is used, so the rest loads anywhere
HEAVY = {"pandas", "matplotlib", "dask", "distributed", "panel", "bokeh", "SALib", "pyarrow", "ruamel", "IPython",
         "scipy.stats", "scipy.optimize"}  # each costs a second or more to import: the command line and spawned workers stay light


def _heavy(module: str) -> bool:
    return any(module == h or module.startswith(h + ".") for h in HEAVY)


def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package."""
    out = {}
    for path in sorted(SIM.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = modules()


def _imports(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """(line, absolute module, inside a function) of every import outside ``if TYPE_CHECKING:`` blocks."""
    out: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, local: bool) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom):
            assert not node.level, f"line {node.lineno}: relative import; use sim.<wing>.<module>"
            base = node.module or ""
            for alias in node.names:  # `from sim.core import model` imports the module sim.core.model
                name = f"{base}.{alias.name}"
                out.append((node.lineno, name if name in MODULES else base, local))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, local) for a in node.names)
        local = local or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, local)

    visit(tree, False)
    return out


IMPORTS = {name: _imports(ast.parse(path.read_text(encoding="utf-8"))) for name, path in MODULES.items()}


ALIASES = {"sim.__main__": "interfaces"}  # `python -m sim`: the command line under the name Python gives it


def _wing(module: str) -> str | None:
    if module in ALIASES:
        return ALIASES[module]
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "sim" and parts[1] in WING else None


def _pulls_heavy(module: str, seen: set[str] | None = None) -> bool:
    """Whether importing ``module`` imports a heavy library at some module top on the way."""
    seen = set() if seen is None else seen
    if module in seen or module not in IMPORTS:
        return False
    seen.add(module)
    for _, target, local in IMPORTS[module]:
        if local:
            continue
        if _heavy(target) or _pulls_heavy(target, seen):
            return True
    return False


def test_every_module_sits_in_a_wing():
    loose = [m for m in MODULES if m not in BELOW_WINGS and _wing(m) is None]
    assert not loose, f"modules outside the wings {WINGS}: {loose}"
    core = {m.split(".")[-1] for m in MODULES if _wing(m) == "core" and m != "sim.core"}
    assert core == set(CORE_LAYER), "every core module has a layer in CORE_LAYERS"


@pytest.mark.parametrize("module", [m for m in MODULES if _wing(m)])
def test_wings_import_downwards_only(module):
    wing = _wing(module)
    wrong = [f"line {line}: imports {target} (wing {_wing(target)}); {module} is in {wing}"
             for line, target, _ in IMPORTS[module]
             if _wing(target) is not None and WING[_wing(target)] > WING[wing]]
    wrong += [f"line {line}: imports the package face sim (only the interfaces use it)"
              for line, target, _ in IMPORTS[module] if target == "sim" and wing != "interfaces"]
    assert not wrong, "; ".join(wrong)


@pytest.mark.parametrize("module", sorted(CORE_LAYER))
def test_core_imports_point_down_only(module):
    wrong = []
    for line, target, _ in IMPORTS[f"sim.core.{module}"]:
        if _wing(target) == "core":
            other = target.split(".")[2]
            if CORE_LAYER[other] >= CORE_LAYER[module]:
                wrong.append(f"line {line}: imports {target}, on layer {CORE_LAYER[other]}; {module} is on "
                             f"{CORE_LAYER[module]}")
        elif target.split(".")[0] in FOREIGN:
            wrong.append(f"line {line}: imports {target}: the model core knows nothing of files, tables, charts "
                         "or clusters")
    assert not wrong, f"sim/core/{module}.py: " + "; ".join(wrong)


@pytest.mark.parametrize("module", [m for m in MODULES if m != "sim"])
def test_imports_at_module_top(module):
    """A function-local import hides the graph; only heavy optional libraries (or modules that pull them in) may be
    imported late, to keep light commands light. The public face ``sim`` loads its upper wings on first use (PEP 562)
    so that ``import sim`` stays a core import."""
    wrong = [f"line {line}: {target}" for line, target, local in IMPORTS[module]
             if local and not _heavy(target) and target not in PLATFORM and not _pulls_heavy(target)]
    assert not wrong, f"{module}: import these at module top: " + ", ".join(wrong)


@pytest.mark.parametrize("entry", ["sim", "sim.core.model", "sim.experiments.batch", "sim.interfaces.cli"])
def test_light_entry_points_load_without_the_heavy_libraries(entry):
    """The core, the batch runner's workers and the command line (which every spawned worker of ``omnisim``
    imports again as its main module) start without pandas, matplotlib, scipy.stats, Dask or Panel."""
    code = f"import sys, {entry}; print(sorted(set(sys.modules) & {set(HEAVY)!r}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _uses_of_sim(code: str) -> list[str]:
    """What ``code`` takes from the package: ``sim.X`` attributes and ``from sim... import`` statements."""
    out = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sim":
            out += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.split(".")[0] == "sim"]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sim":
            out.append(f"sim.{node.attr}")
    return out


def _cells(path: Path) -> list[str]:
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return ["\n".join(ln for ln in c.splitlines() if not ln.lstrip().startswith(("%", "!"))) for c in code]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_use_only_the_public_face(path):
    import sim

    public = {"sim", *(f"sim.{n}" for n in sim.__all__)}
    wrong = sorted({use for cell in _cells(path) for use in _uses_of_sim(cell) if use not in public})
    assert not wrong, f"{path.name} reaches past sim.__all__: {wrong}"


def test_the_public_face_resolves_every_name():
    code = "import sim, sys; [getattr(sim, n) for n in sim.__all__]; print(len(sim.__all__))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert 20 <= int(out.stdout) <= 40, "the public face is a curated list, not the whole package"


def test_the_docs_use_only_the_public_face():
    """The README's and the docs' Python examples use ``sim.__all__`` only (reference pages may name internals)."""
    import sim
    from tests.docs_examples import examples_in, pages

    public = {"sim", *(f"sim.{n}" for n in sim.__all__)}
    blocks = [(page.name, ex.code) for page in pages() for ex in examples_in(page.read_text(encoding="utf-8"))
              if ex.kind == "python"]
    wrong = sorted({f"{where}: {use}" for where, code in blocks for use in _uses_of_sim(code) if use not in public})
    assert blocks and not wrong, f"the docs' Python reaches past sim.__all__: {wrong}"
