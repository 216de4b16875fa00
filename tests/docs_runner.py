"""Runs a list of docs examples in order, in one process (``python -m tests.docs_runner PLAN.json``, from the
example's folder): tests/test_docs.py writes the plan and checks the exit status. One process per page (or per
docstring set) instead of one per example: the imports (pandas, matplotlib, scipy) are paid once.

- a Python example runs as its own ``__main__`` (``runpy.run_path``: spawned workers import it again, as they
  would the script);
- an ``omnisim`` line runs through the command line's own ``main`` (exit 0, or 1 where 1 is the command's
  answer);
- a Dask scheduler or worker line is started in the background (the scheduler waited for on its port) and
  stopped when the plan ends; a ``file`` is written.

The first example that fails is named on stderr with its traceback, and the process exits 3.
"""

from __future__ import annotations

import json
import runpy
import shlex
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

ANSWER_NO = {"check-plausibility", "staff"}   # commands whose exit 1 is an answer, not a failure
FAILED = 3


def start(line: str) -> subprocess.Popen[bytes]:
    """A Dask scheduler or worker of a page, for real; a scheduler is waited for until its port answers."""
    args = shlex.split(line, comments=True)
    log = Path(f"{args[1]}.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("dask")), *args[1:]], stdout=log,
                            stderr=subprocess.STDOUT)
    if args[1] == "scheduler":
        port = int(args[args.index("--port") + 1]) if "--port" in args else 8786
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the scheduler did not start: {Path('scheduler.log').read_text()}") from None
                time.sleep(0.2)
    return proc


def stop(services: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(services):
        proc.terminate()
    for proc in services:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_one(i: int, kind: str, code: str, name: str, services: list[subprocess.Popen[bytes]]) -> str | None:
    """Run example ``i``; return why it failed, or None."""
    if kind == "file":
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(code, encoding="utf-8")
    elif kind == "service":
        services.append(start(code))
    elif kind == "python":
        script = Path(f"example_{i}.py").resolve()
        script.write_text(code, encoding="utf-8")
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (0, None):
                return f"exited {exc.code}"
    else:
        from sim.interfaces.cli import main

        args = shlex.split(code, comments=True)[1:]
        status = main(args)
        if status not in ({0, 1} if args and args[0] in ANSWER_NO else {0}):
            return f"exited {status}"
    return None


def main(plan: str) -> int:
    items = json.loads(Path(plan).read_text(encoding="utf-8"))
    services: list[subprocess.Popen[bytes]] = []
    try:
        for i, item in enumerate(items):
            try:
                why = run_one(i, item["kind"], item["code"], item["name"], services)
            except BaseException:  # noqa: BLE001 - any failure of an example is reported, with its traceback
                why = "raised:\n" + traceback.format_exc()
            if why is not None:
                print(f"{item['label']}: example {i} {why}\n{item['code']}", file=sys.stderr)
                return FAILED
    finally:
        stop(services)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
