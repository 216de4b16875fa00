"""Which build of the core runs: its hot modules compiled by mypyc (``setup.py``), or their Python sources.

``setup.py`` compiles the hot modules of ``sim.core`` (:data:`MODULES`) from their sources with mypyc when mypy and
a C compiler are there: each extension module (``journey.cpython-311-x86_64-linux-gnu.so``) sits beside its
``.py``, with the group's shared library (``hot__mypyc...so``), and Python's import system would take it first.
The build records, in ``_compiled.json`` beside them, the SHA-256 of each source it compiled. The finder
:func:`install` puts first on ``sys.meta_path`` (``sim.core`` does, before any of its modules is imported) loads
every compiled module from its ``.py`` instead when:

- ``OMNISIM_PURE`` is set (not empty, not ``0``): the pure-Python build, whatever is compiled (the golden test's
  second run; debugging with pdb or a profiler that sees Python lines);
- any of them was built from another source than its ``.py`` now (edited, or another checkout since the build),
  without a record, or not at all (a module that joined the group since): an edited source is never shadowed by a
  stale build. It warns once; ``make build`` (or
  ``pip install -e .``) compiles again. All or none: compiled modules of one group call each other natively, and
  expect each other compiled.

:func:`build_info` says which build runs, for ``omnisim --version`` and ``meta.json``.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

PACKAGE = "sim.core"
# the modules a replication spends its time in (bench/CYTHON-SPIKE.md, section 1), compiled as one mypyc group;
# network and catalogue hold what they read (native classes: their fields are read without a dict lookup), and clock
# the time; the rest of sim.core runs once per replication (environment: SimPy's subclass, which mypyc cannot compile)
MODULES = ("clock", "engine", "journey", "fulfilment", "inventory", "ledger", "aftersale", "choice", "customers",
           "marketing", "rng", "network", "catalogue")
GROUP = f"{PACKAGE}.hot"  # the group's shared library: sim/core/hot__mypyc.*.so
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "core")  # the compiled modules' package
MANIFEST = os.path.join(HERE, "_compiled.json")
PURE_ENV = "OMNISIM_PURE"


def pure_requested() -> bool:
    """Whether the environment asks for the pure-Python build (``OMNISIM_PURE`` set, not empty, not ``0``)."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def source_hash(name: str) -> str:
    """SHA-256 of module ``name``'s source: what its compiled build was made from."""
    with open(os.path.join(HERE, name + ".py"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _manifest() -> dict[str, Any]:
    try:
        with open(MANIFEST, encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
            return data
    except (OSError, ValueError):
        return {}


def _extension(name: str) -> str | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(HERE, name + suffix)
        if os.path.exists(path):
            return path
    return None


def _stale() -> list[str]:
    """Where anything is compiled, the modules of the group whose build is missing, unrecorded or made from another
    source than theirs (a group built before a module joined it, an edit since the build)."""
    built = [m for m in MODULES if _extension(m) is not None]
    if not built:
        return []
    recorded = _manifest().get("sources", {})
    return [m for m in MODULES if m not in built or recorded.get(m) != source_hash(m)]


def compiled_ok() -> bool:
    """Whether the compiled build runs: every module of the group built and fresh, and the sources not asked for."""
    return not pure_requested() and _extension(MODULES[0]) is not None and not _stale()


class SourceFirst:
    """Meta path finder: the compiled modules of ``sim.core`` are loaded from their ``.py`` when the pure build
    is asked for or any of them is stale (decided at the first import); otherwise the normal finders take the
    extensions."""

    def __init__(self) -> None:
        self.stale: list[str] | None = None  # decided at the first import of a core module

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in MODULES or _extension(name) is None:
            return None
        if self.stale is None:
            self.stale = [] if pure_requested() else _stale()
            if self.stale:
                warnings.warn(f"sim.core: the compiled build of {', '.join(self.stale)} is older than the source; "
                              "running every core module from its source (compile again with `make build` or "
                              "`pip install -e .`)", RuntimeWarning, stacklevel=2)
        if not self.stale and not pure_requested():
            return None  # fresh: the extension module, found by the normal finders
        return importlib.util.spec_from_file_location(fullname, os.path.join(HERE, name + ".py"))


def install() -> None:
    """Put :class:`SourceFirst` first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceFirst())


def compiled_modules() -> list[str]:
    """The modules of ``sim.core`` imported so far from a compiled build."""
    return sorted(n.rpartition(".")[2] for n, m in list(sys.modules.items())
                  if n.startswith(PACKAGE + ".") and n.rpartition(".")[2] in MODULES
                  and not str(getattr(m, "__file__", None) or ".py").endswith(".py"))


def build_info() -> dict[str, Any]:
    """Which build runs (the finder's decision, without importing anything): ``{"build": "compiled" | "pure",
    "compiled": [modules], "compiler": "mypyc <version>" or None}``."""
    ok = compiled_ok()
    return {"build": "compiled" if ok else "pure", "compiled": sorted(MODULES) if ok else [],
            "compiler": _manifest().get("compiler") if ok else None}


def describe() -> str:
    """One line for ``omnisim --version``: which build runs, and why the sources when they do."""
    if compiled_ok():
        return f"compiled core ({_manifest().get('compiler', 'mypyc')}: {len(MODULES)} modules)"
    if pure_requested():
        return f"pure Python ({PURE_ENV} is set)"
    stale = _stale()
    if stale:
        return f"pure Python (the compiled build of {', '.join(stale)} is older than the source: make build)"
    return "pure Python (no compiled core: it needs mypy and a C compiler at install)"
