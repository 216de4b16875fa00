"""The compiled core, optional: mypyc compiles the hot modules of ``sim.core`` from their Python sources, using the
type annotations they already carry (``mypy --strict``), when mypy and a C compiler are there; without either, or
with ``OMNISIM_PURE_BUILD=1``, the package installs as pure Python and runs the same. Everything else is in
pyproject.toml. Why mypyc and not Cython: bench/CYTHON-SPIKE.md and docs/background/performance.md.

``pip install -e .`` (so ``make demo`` and ``make test``) and ``make build`` put each extension module beside its
source, with the group's shared library (``sim/core/hot__mypyc...so``); ``_compiled.json`` records the mypy version
and the source hashes they were built from (``sim/_build.py`` runs the sources instead when one has changed since,
or when ``OMNISIM_PURE=1``). All or nothing: the modules of one mypyc group call each other natively, so a module
that fails to compile leaves the whole core pure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
# sim/_build.py alone (importing the package would need its dependencies, which a build need not have)
_spec = importlib.util.spec_from_file_location("_omnisim_build", ROOT / "sim" / "_build.py")
assert _spec is not None and _spec.loader is not None
_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_build)

MODULES = list(_build.MODULES)
HASHES = {m: _build.source_hash(m) for m in MODULES}  # of the sources as compiled


def extensions() -> list:
    if os.environ.get("OMNISIM_PURE_BUILD", "") not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("omnisim: mypy (mypyc) not found, installing the pure-Python build", file=sys.stderr)
        return []
    cwd = os.getcwd()
    os.chdir(ROOT)  # mypyc names the modules from the working directory
    # pyproject.toml's [tool.mypy] where pydantic (its plugin) is installed (make build); pip's isolated build
    # has only setuptools and mypy, so there mypy runs without a config and types what it cannot see as Any,
    # checked at run time
    options = [] if importlib.util.find_spec("pydantic") else ["--config-file=", "--ignore-missing-imports",
                                                                "--follow-imports=silent"]
    try:
        return mypycify([*options, *(f"sim/core/{m}.py" for m in MODULES)], group_name=_build.GROUP,
                        opt_level="3", debug_level="0")
    except BaseException as e:  # noqa: BLE001  (a type error mypyc refuses raises SystemExit): pure Python
        print(f"omnisim: mypyc could not compile the core ({e!r}); installing the pure-Python build",
              file=sys.stderr)
        return []
    finally:
        os.chdir(cwd)


class OptionalBuildExt(build_ext):
    """Build every module of the group, or none: no C compiler, no Python headers or a failing module leave the
    core pure Python. Then record what was compiled, beside it."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:  # one compiler per core (pip passes no -j)
            self.parallel = os.cpu_count() or 1

    def run(self) -> None:
        self.failed: list[str] = []
        try:
            super().run()
        except Exception as e:  # no compiler at all (setuptools raises several kinds): the pure build
            self.failed.append(str(e))
        if self.failed:
            print(f"omnisim: no compiled core ({'; '.join(self.failed)}); installing the pure-Python build",
                  file=sys.stderr)
            self.extensions = []
            return
        if self.extensions:
            import mypy.version

            target = Path(self.get_ext_fullpath(f"{_build.PACKAGE}.{MODULES[0]}")).parent / "_compiled.json"
            target.write_text(json.dumps({"compiler": f"mypyc {mypy.version.__version__}",
                                          "sources": dict(sorted(HASHES.items()))}, indent=1) + "\n")

    def copy_extensions_to_source(self) -> None:  # --inplace and editable installs: only a whole build
        if not self.failed:
            super().copy_extensions_to_source()

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        try:
            super().build_extension(ext)
        except Exception as e:
            self.failed.append(f"{ext.name}: {e}")


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
