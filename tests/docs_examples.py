"""Finding the runnable examples of the README, the docs pages and the public docstrings (tests/test_docs.py
runs them; tests/test_layers.py checks that they use the public face only). What runs, and how, is said in
tests/test_docs.py's docstring."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S)


@dataclass(frozen=True)
class Example:
    kind: str    # "python", "sh", "service" (a Dask scheduler or worker the page starts) or "file"
    code: str    # the script, the command line, or the file's text
    name: str = ""  # the file's name, for "file"


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _dedent(body: str, indent: str) -> str:
    return "".join(line[len(indent):] if line.startswith(indent) else line for line in body.splitlines(True))


def examples_in(text: str) -> list[Example]:
    """The runnable examples of a Markdown text (or a docstring), in order."""
    out: list[Example] = []
    for m in FENCE.finditer(text):
        lang, body = m["lang"].lower(), _dedent(m["body"], m["indent"])
        if lang == "python":
            out.append(Example("python", body))
        elif lang in ("sh", "bash", "console", "shell"):
            out += [Example("service" if line.startswith(SERVICES) else "sh", line) for line in commands(body)]
        elif lang in ("yaml", "yml"):
            first, _, rest = body.partition("\n")
            if first.startswith("# file:"):
                out.append(Example("file", rest, first.removeprefix("# file:").strip()))
    return out


SERVICES = ("dask scheduler", "dask worker")   # started in the background, stopped when the page's examples end


def commands(body: str) -> list[str]:
    """The ``omnisim`` and Dask command lines of a shell block (continuations joined, a leading ``$ `` dropped)."""
    joined = re.sub(r"\s*\\\n\s*", " ", body)
    lines = [line.strip().removeprefix("$ ") for line in joined.splitlines()]
    return [line for line in lines if line.startswith(("omnisim ", *SERVICES))]
