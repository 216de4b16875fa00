"""The public face's docstrings are numpy style, as the API reference of the docs site renders them (mkdocstrings).

Every public callable of ``sim.__all__`` documents its parameters (exactly the signature's, in its order), what it
returns (unless it returns None or is a class), and has an Examples section with a ```python block that compiles,
uses only public names of ``sim`` and guards a ``workers=`` call with ``if __name__ == "__main__":`` (spawned workers
import the script again). The constants carry an attribute docstring where they are defined. The blocks themselves
are run by the docs' tests (tests/test_docs.py) with the tiny-scenario prelude.

Plain ``inspect`` and regular expressions: no docstring parser needed.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
SECTION = re.compile(r"^(?P<name>[A-Z][A-Za-z ]+)\n(?P<dashes>-+)$", re.M)
ENTRY = re.compile(r"^(?P<names>\*{0,2}[A-Za-z_]\w*(?:, \*{0,2}[A-Za-z_]\w*)*) :", re.M)
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
ROLE = re.compile(r":(?:func|class|data|mod|meth|attr|obj):`")


def public() -> dict[str, object]:
    return {name: getattr(sim, name) for name in sim.__all__}


def callables() -> list[str]:
    return [name for name, obj in public().items() if callable(obj)]


def constants() -> list[str]:
    return [name for name, obj in public().items() if not callable(obj)]


def sections(doc: str) -> dict[str, str]:
    """Section title -> its text, for the numpy sections of ``doc`` (a title underlined with dashes); lines inside
    a fenced code block are never titles (they are blanked, to the same length, before titles are looked for)."""
    fenced, lines = False, []
    for line in doc.split("\n"):
        fence = line.lstrip().startswith("```")
        fenced = fenced != fence
        lines.append(" " * len(line) if fenced or fence else line)
    text = "\n".join(lines)
    found = [(m.group("name"), m.start(), m.end()) for m in SECTION.finditer(text)
             if len(m.group("dashes")) == len(m.group("name"))]
    out = {}
    for i, (name, _, end) in enumerate(found):
        stop = found[i + 1][1] if i + 1 < len(found) else len(text)
        out[name] = doc[end:stop]  # from the original: code blocks kept
    return out


def documented(section: str) -> list[str]:
    """The names of a Parameters or Attributes section's entries, in order."""
    return [name.lstrip("*") for m in ENTRY.finditer(section) for name in m.group("names").split(", ")]


def parameters(obj: object) -> list[str] | None:
    """The parameters a caller passes (``self`` left out), or None when the signature is not the object's own (an
    exception class taking ``*args``)."""
    if inspect.isclass(obj) and "__init__" not in vars(obj) and not dataclasses.is_dataclass(obj):
        return None
    return [p.name for p in inspect.signature(obj).parameters.values()  # type: ignore[arg-type]
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def doc_of(name: str) -> str:
    doc = inspect.getdoc(public()[name])
    assert doc, f"sim.{name} has no docstring"
    return doc


def test_the_helpers_read_a_numpy_docstring():
    doc = inspect.cleandoc('''Sum.

    Parameters
    ----------
    a, b : int
        Two numbers.
    scale : float, default 1.0
        Times this.

    Returns
    -------
    int
        Their sum.

    Examples
    --------
    ```python
    x = 1
    # a fenced line that looks like a title
    # ------------------------------------
    ```
    ''')
    found = sections(doc)
    assert list(found) == ["Parameters", "Returns", "Examples"]
    assert documented(found["Parameters"]) == ["a", "b", "scale"]
    assert PYTHON_BLOCK.findall(found["Examples"]) == [
        "x = 1\n# a fenced line that looks like a title\n# ------------------------------------\n"]
    assert parameters(sim.BatchError) is None
    assert parameters(sim.run) == ["scenario", "setup", "seed", "engine", "daily"]


def test_the_public_face_is_covered():
    assert len(callables()) >= 35
    assert set(constants()) == {"__version__", "KPIS", "SETUP_NAMES", "DECIDING"}


@pytest.mark.parametrize("name", callables())
def test_parameters_are_documented_as_the_signature_has_them(name):
    obj = public()[name]
    doc = doc_of(name)
    found = sections(doc)
    names = parameters(obj)
    if inspect.isclass(obj) and "Attributes" in found and dataclasses.is_dataclass(obj):
        # a result the caller reads rather than builds: its fields are its attributes
        assert documented(found["Attributes"]) == [f.name for f in dataclasses.fields(obj)], name
        return
    if not names:
        assert "Parameters" not in found, f"sim.{name} documents parameters it does not take"
        return
    assert "Parameters" in found, f"sim.{name} takes {names} but has no Parameters section"
    assert documented(found["Parameters"]) == names, f"sim.{name}: documented parameters differ from the signature"


@pytest.mark.parametrize("name", callables())
def test_what_is_returned_is_documented(name):
    obj = public()[name]
    if inspect.isclass(obj):
        return
    returned = inspect.signature(obj).return_annotation  # type: ignore[arg-type]
    found = sections(doc_of(name))
    if returned in (None, "None"):
        assert "Returns" not in found, name
    else:
        assert "Returns" in found and found["Returns"].strip(), f"sim.{name} returns {returned} undocumented"


@pytest.mark.parametrize("name", callables())
def test_examples_are_python_blocks_of_the_public_face(name):
    found = sections(doc_of(name))
    assert "Examples" in found, f"sim.{name} has no Examples section"
    blocks = PYTHON_BLOCK.findall(found["Examples"])
    assert blocks, f"sim.{name}: the Examples section has no ```python block"
    for block in blocks:
        compile(block, f"sim.{name} example", "exec")
        assert "import sim" in block and ">>>" not in block, name
        if "workers=" in block:
            assert 'if __name__ == "__main__":' in block, f"sim.{name}: a workers= example needs the main guard"
        private = sorted({m for m in re.findall(r"\bsim\.(\w+)", block) if m not in sim.__all__})
        assert not private, f"sim.{name}'s example uses names outside sim.__all__: {private}"


@pytest.mark.parametrize("name", callables())
def test_docstrings_are_markdown_not_sphinx_roles(name):
    # the docs site renders Markdown: a :func:`x` role would show as it is written
    assert not ROLE.search(doc_of(name)), name


def _defining_modules() -> dict[str, str]:
    """Public name -> the module that defines it, read from sim/__init__.py (its imports and ``_LAZY``)."""
    tree = ast.parse((ROOT / "sim" / "__init__.py").read_text(encoding="utf-8"))
    out = {alias.asname or alias.name: node.module for node in tree.body if isinstance(node, ast.ImportFrom)
           and node.module and node.module.startswith("sim.") for alias in node.names}
    out.update(sim._LAZY)
    return out


@pytest.mark.parametrize("name", constants())
def test_constants_have_an_attribute_docstring_where_they_are_defined(name):
    module = _defining_modules()[name]
    path = ROOT / Path(*module.split(".")).with_suffix(".py")
    body = ast.parse(path.read_text(encoding="utf-8")).body
    assigned = [i for i, node in enumerate(body)
                if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets))
                or (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name)]
    assert assigned, f"{name} is not assigned in {module}"
    last = assigned[-1]  # the value the module ends with is the one documented
    following = body[last + 1] if last + 1 < len(body) else None
    assert isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) \
        and isinstance(following.value.value, str) and following.value.value.strip(), \
        f"{module}.{name} has no docstring after its assignment"
