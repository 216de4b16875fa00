"""The README's Python snippets run as scripts (spawned workers import the script again: the guard matters).

Each ```python block is written to a file and run with ``python FILE`` from the repository root. A prelude makes
every scenario it loads tiny (one day, a few hundred customers a day) so the snippets take seconds; the code
after the prelude is the README's, unchanged.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRELUDE = '''import sim as _sim
_load = _sim.load_scenario
def _tiny(path, overrides=None, **kwargs):
    return _load(path, {**(overrides or {}), "horizon_days": 1, "warmup_days": 0, "customers_per_day": 300},
                 **kwargs)
_sim.load_scenario = _tiny
'''


def snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_snippets_and_workers_are_guarded():
    blocks = snippets()
    assert blocks
    for block in blocks:
        if "workers=" in block:
            assert 'if __name__ == "__main__":' in block, block


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(snippets())))
def test_readme_snippet_runs_as_a_script(tmp_path, index):
    script = tmp_path / f"snippet{index}.py"
    script.write_text(PRELUDE + snippets()[index], encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
