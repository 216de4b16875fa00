"""Every example of the docs runs: the README, every page under docs/, and the public face's docstrings.

The way SimPy's docs check their examples, with one difference: a simulation's figures depend on its scale, so the
examples run tiny (``tests/tiny/sitecustomize.py``: one day, no warm-up, 300 customers a day, in the example's
process and every worker it spawns) and are checked to run, not to print the full runs' figures. Per page, in one
temporary folder holding links to the repository's ``scenarios``, ``experiments``, ``data`` and ``notebooks``:

- a ```python block is written to a file and run as ``__main__`` (spawned workers import it again: blocks that
  use ``workers=`` must be guarded by ``if __name__ == "__main__":``);
- in a ```sh block, every line starting with ``omnisim `` is run through the command line's ``main``
  (continuation lines joined, ``#`` comments dropped); other lines (``make``, ``pip``, ``jupyter``) are the
  Makefile's or an installer's and are not run here;
- a ```yaml block whose first line is ``# file: NAME`` is written to NAME before the next block runs;
- ``dask scheduler`` and ``dask worker`` lines are started for real in the background (the scheduler waited for
  on its port), and stopped when the page's examples end.

Blocks run in page order, in one process per page (``tests/docs_runner.py``: the imports paid once), so a page
can write a file, run a command on it, then read its results. A command may exit 0, or 1 where the command's
answer is "no" (``check-plausibility`` out of range, ``staff`` short of target): a bad example (exit 2: the
command refused its input) or a traceback fails the test. The public docstrings' examples run alike, one process
per wing.
"""

from __future__ import annotations

import contextlib
import fcntl
import inspect
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import sim
from tests.docs_examples import ROOT, Example, examples_in, pages

TINY = Path(__file__).resolve().parent / "tiny"
LINKED = ("scenarios", "experiments", "data", "notebooks")


def docstring_examples() -> list[tuple[str, Example]]:
    """(public name, example) for every ```python block in the docstrings of ``sim.__all__``."""
    out = []
    for name in sim.__all__:
        doc = inspect.getdoc(getattr(sim, name)) or ""
        if not callable(getattr(sim, name)):
            continue
        out += [(name, ex) for ex in examples_in(doc) if ex.kind == "python"]
    return out


def _folder(tmp: Path) -> Path:
    for name in LINKED:
        if (ROOT / name).exists():
            (tmp / name).symlink_to(ROOT / name, target_is_directory=True)
    return tmp


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TINY), str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["MPLBACKEND"] = "Agg"
    return env


def run_examples(items: list[Example], where: Path, label: str) -> None:
    """Run ``items`` in order in one process (tests/docs_runner.py) in a folder of ``where``; fail naming the
    first example that fails."""
    folder = _folder(where)
    plan = folder / "docs-plan.json"
    plan.write_text(json.dumps([{"kind": ex.kind, "code": ex.code, "name": ex.name, "label": label}
                                for ex in items]), encoding="utf-8")
    with contextlib.ExitStack() as stack:
        if any(ex.kind == "service" for ex in items):  # pages start their scheduler on Dask's port: one at a time
            lock = stack.enter_context((Path(tempfile.gettempdir()) / "omnisim-docs-dask.lock").open("w"))
            fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run([sys.executable, "-m", "tests.docs_runner", str(plan)], cwd=folder, env=_env(),
                              capture_output=True, text=True, timeout=900)
    failed = proc.returncode != 0 or "Traceback (most recent call last)" in proc.stderr
    assert not failed, f"{label}: exit {proc.returncode}\n--- stderr ---\n{proc.stderr[-4000:]}\n--- stdout ---\n{proc.stdout[-1500:]}"


PAGES = [p for p in pages() if any(ex.kind != "file" for ex in examples_in(p.read_text(encoding="utf-8")))]


def test_the_parser_finds_each_kind_of_example():
    text = ("```python\nprint(1)\n```\n\n```sh\nmake demo\nomnisim run a.yaml \\\n    --seed 2   # note\n```\n"
            "\n  ```yaml\n  # file: x.yaml\n  a: 1\n  ```\n```yaml\nb: 2\n```\n```text\nomnisim no\n```\n")
    got = examples_in(text)
    assert got == [Example("python", "print(1)\n"), Example("sh", "omnisim run a.yaml --seed 2   # note"),
                   Example("file", "a: 1\n", "x.yaml")]


def test_examples_that_spawn_workers_are_guarded():
    """Spawned workers import the script again: unguarded, it would run again in every worker."""
    found = [(str(p.relative_to(ROOT)), ex.code) for p in pages()
             for ex in examples_in(p.read_text(encoding="utf-8")) if ex.kind == "python"]
    found += [(f"sim.{name}", ex.code) for name, ex in docstring_examples()]
    assert found
    wrong = [where for where, code in found if "workers=" in code and 'if __name__ == "__main__":' not in code]
    assert not wrong, f"examples using workers= without the __main__ guard: {wrong}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(tmp_path, page):
    run_examples(examples_in(page.read_text(encoding="utf-8")), tmp_path, str(page.relative_to(ROOT)))


def _wing(name: str) -> str:
    module = getattr(getattr(sim, name), "__module__", "sim")
    return module.split(".")[1] if module.count(".") >= 1 else "sim"


@pytest.mark.slow
@pytest.mark.parametrize("wing", sorted({_wing(name) for name, _ in docstring_examples()}))
def test_docstring_examples_run(tmp_path, wing):
    """The public face's examples, one process per wing of the package they are defined in."""
    run_examples([ex for name, ex in docstring_examples() if _wing(name) == wing], tmp_path, f"docstrings of sim.{wing}")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_site_is_served_on_localhost():
    """``make serve-docs``'s command, for real: mkdocs serves the site on 127.0.0.1, home page and API reference."""
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mkdocs = Path(sys.executable).with_name("mkdocs")
    proc = subprocess.Popen([str(mkdocs), "serve", "--dev-addr", f"127.0.0.1:{port}", "--no-livereload"], cwd=ROOT,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        pages: dict[str, str] = {}
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and len(pages) < 2 and proc.poll() is None:
            try:
                for page in ("index.html", "reference/api.html"):
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=5) as response:
                        pages[page] = response.read().decode("utf-8")
            except OSError:
                time.sleep(0.5)
        assert len(pages) == 2, f"mkdocs serve did not answer: {proc.stderr.read() if proc.poll() is not None else ''}"
        assert "What would going omnichannel do" in pages["index.html"]
        assert "sim.staff_per_store" in pages["reference/api.html"]   # the API rendered from the docstrings
    finally:
        proc.terminate()
        proc.wait(timeout=30)
