"""The compiled core (setup.py, sim/_build.py): when built, its modules are the ones imported; an edited source
is never shadowed by a stale build; ``OMNISIM_PURE=1`` runs the sources, and they find the golden numbers too; a
machine without a C compiler installs and runs the pure-Python build."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import sim.core.model  # noqa: F401  (imports every hot module)
from sim import _build

from .golden import FILE, ROOT

MANIFEST = _build._manifest()


@pytest.mark.skipif(not MANIFEST.get("sources"), reason="no compiled build (pure-Python install)")
def test_the_compiled_modules_are_imported_when_built():
    info = _build.build_info()
    assert _build.compiled_modules() == info["compiled"]
    if _build.pure_requested():
        assert info == {"build": "pure", "compiled": [], "compiler": None}
    else:
        assert info["build"] == "compiled" and info["compiled"] == sorted(_build.MODULES), info
        assert info["compiler"].startswith("mypyc ")


def test_the_sources_run_when_asked_or_when_any_build_is_stale(monkeypatch, tmp_path):
    """All or none: one stale module (or ``OMNISIM_PURE``) sends every compiled module to its source, with one
    warning naming the stale ones; ``OMNISIM_PURE=0`` is not a request."""
    monkeypatch.setattr(_build, "_extension", lambda name: str(tmp_path / f"{name}.so"))  # as if compiled
    monkeypatch.delenv(_build.PURE_ENV, raising=False)
    fresh = {"sources": {m: _build.source_hash(m) for m in _build.MODULES}}
    monkeypatch.setattr(_build, "_manifest", lambda: fresh)
    finder = _build.SourceFirst()
    assert finder.find_spec("sim.core.rng") is None  # fresh: left to the normal finders (the extension)
    assert finder.find_spec("sim.scenario.schema") is None and finder.find_spec("sim.core") is None
    assert finder.find_spec("sim.core.model") is None  # not compiled: the normal import
    assert _build.compiled_ok()
    stale = {"sources": {**fresh["sources"], "rng": "0" * 64}}
    monkeypatch.setattr(_build, "_manifest", lambda: stale)
    finder = _build.SourceFirst()
    with pytest.warns(RuntimeWarning, match="compiled build of rng is older than the source"):
        spec = finder.find_spec("sim.core.engine")  # a fresh module, but its group is not
    assert spec is not None and spec.origin == os.path.join(_build.HERE, "engine.py") and finder.stale == ["rng"]
    assert not _build.compiled_ok() and _build.build_info()["build"] == "pure"
    monkeypatch.setattr(_build, "_manifest", lambda: fresh)
    monkeypatch.setattr(_build, "_extension", lambda name: None if name == "catalogue" else str(tmp_path / name))
    assert _build._stale() == ["catalogue"] and not _build.compiled_ok()  # a member not built: the sources run
    monkeypatch.setattr(_build, "_extension", lambda name: str(tmp_path / f"{name}.so"))
    monkeypatch.setenv(_build.PURE_ENV, "1")
    spec = _build.SourceFirst().find_spec("sim.core.rng")
    assert spec is not None and spec.origin.endswith("rng.py") and _build.build_info()["build"] == "pure"
    monkeypatch.setenv(_build.PURE_ENV, "0")  # "0" is not a request
    assert _build.SourceFirst().find_spec("sim.core.rng") is None and _build.compiled_ok()


@pytest.mark.skipif(not MANIFEST.get("sources"), reason="no compiled build: tests/test_golden.py runs the sources")
def test_the_pure_build_finds_the_golden_numbers():
    """The golden cases on the sources (``OMNISIM_PURE=1``, a fresh process), while tests/test_golden.py runs
    them on the compiled build: every KPI, breakdown, daily value, book total and event count identical (about
    4 s: the fast engine's cases only)."""
    code = ("import json, sys; from tests.golden import outputs; from sim._build import build_info; "
            "json.dump({'info': build_info(), 'out': json.loads(json.dumps(outputs()))}, sys.stdout)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, _build.PURE_ENV: "1", "PYTHONPATH": str(ROOT)})
    got = json.loads(run.stdout)
    assert got["info"]["build"] == "pure"
    assert got["out"] == json.loads(FILE.read_text())


@pytest.mark.slow
def test_without_a_c_compiler_the_pure_build_installs_and_runs(tmp_path):
    """setup.py on a machine without a C compiler (``CC`` pointing nowhere): exit 0, a one-line note, no
    extension module written, and the package then runs its sources and says so (about 20 s: mypyc's type
    analysis runs before the compiler is found missing)."""
    import shutil

    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("*.so", "_compiled.json",
                                                                                  "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != _build.PURE_ENV}
    build = subprocess.run([sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"], cwd=tmp_path,
                           capture_output=True, text=True, env={**env, "CC": str(tmp_path / "no-such-cc")})
    assert build.returncode == 0, build.stderr[-3000:]
    assert "installing the pure-Python build" in build.stderr, build.stderr[-3000:]
    assert not list((tmp_path / "sim").rglob("*.so")) and not (tmp_path / "sim/core/_compiled.json").exists()
    code = ("import sim, json; from sim._build import build_info, compiled_modules; "
            "r = sim.run(sim.load_scenario('scenarios/default.yaml', {'horizon_days': 1, 'warmup_days': 0, "
            "'customers_per_day': 200}), 'omnichannel', seed=1); "
            "print(json.dumps([build_info()['build'], compiled_modules(), r.kpis['orders'] > 0]))")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**env, "PYTHONPATH": str(tmp_path)}, check=True)
    assert json.loads(run.stdout.splitlines()[-1]) == ["pure", [], True]
    version = subprocess.run([sys.executable, "-m", "sim", "--version"], cwd=tmp_path, capture_output=True,
                             text=True, env={**env, "PYTHONPATH": str(tmp_path)}, check=True)
    assert "pure Python (no compiled core" in version.stdout
