"""Reading the files a user gives (scenarios, experiment files, targets, journey logs, results folders) safely.

Every reader of a user file goes through :func:`read_text`: the file is read as bytes up to a size cap (so a huge
file, or ``/dev/zero``, cannot exhaust memory), refused if it looks binary (a NUL byte) or is UTF-16/32, and decoded
as strict UTF-8 (a UTF-8 byte-order mark is fine). YAML goes through :func:`load_yaml`, a ``SafeLoader`` that
refuses duplicate keys (naming the key and both lines), bounds alias use and expansion (a "billion laughs" file is
refused in milliseconds instead of hanging), nesting depth and recursive aliases, and returns plain JSON-like data
(dates become ISO strings). Each problem is one line saying which file and what to do; the caller chooses the
exception class (``error(lines)``), so scenarios raise ``ScenarioError`` and experiments ``ExperimentError``.

Size caps, per kind of file (:data:`CAPS`): scenario, experiment, targets and cost files 5 MB (the library's largest,
the 100-store national chain, is 30 kB); journey logs 512 MB (a CSV row per touchpoint: about 10 million journeys);
the tables of a results folder 512 MB.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MB = 1024 * 1024
CAPS: dict[str, int] = {"scenario": 5 * MB, "experiment": 5 * MB, "targets": 5 * MB, "costs": 5 * MB,
                        "journey log": 512 * MB,
                        "results": 512 * MB}
"""Largest file accepted, in bytes, per kind of user file."""

MAX_ALIASES = 2_000
"""Most alias uses (``*name``) in one YAML document; the national chain uses 99."""
MAX_ALIAS_NODES = 100_000
"""Most values that alias expansion may add to a document (the national chain's merges add about 4,000)."""
MAX_DEPTH = 100
"""Deepest nesting of YAML collections (a scenario nests about 6 deep)."""

ErrorFactory = Callable[[list[str]], Exception]

_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"))


def _size(nbytes: int) -> str:
    return f"{nbytes / MB:.1f} MB" if nbytes >= MB else f"{nbytes:,} bytes"


def read_text(path: str | os.PathLike[str], kind: str, error: ErrorFactory) -> str:
    """The text of a user file of ``kind`` (a key of :data:`CAPS`), read as strict UTF-8 within its size cap.

    Raises ``error([line])`` with one line naming the file for a missing or unreadable file, a file above the
    cap, a binary file, UTF-16/32 text, or bytes that are not UTF-8 (with the line they are on).
    """
    path = Path(path)
    cap = CAPS[kind]
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as exc:
        raise error([f"{path}: cannot read file ({exc.strerror or exc.__class__.__name__})"]) from None
    if len(data) > cap:
        try:
            size = _size(path.stat().st_size)
        except OSError:
            size = "more"
        raise error([f"{path}: file too large ({size}; a {kind} file may have at most {_size(cap)})"])
    return decode(data, str(path), kind, error)


def decode(data: bytes, where: str, kind: str, error: ErrorFactory) -> str:
    """The bytes of a user file of ``kind`` (read from disk, or uploaded) as text, with :func:`read_text`'s
    checks: the size cap, binary content, UTF-16/32, strict UTF-8. ``where`` names the file in the message."""
    cap = CAPS[kind]
    if len(data) > cap:
        raise error([f"{where}: file too large ({_size(len(data))}; a {kind} file may have at most {_size(cap)})"])
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise error([f"{where}: the file is {name} text; save it as UTF-8"])
    nul = data.find(b"\x00")
    if nul >= 0:
        raise error([f"{where}: a binary file, not text (a NUL byte at offset {nul}); expected a {kind} file"])
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error([f"{where}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}); save it as UTF-8"]) \
            from None


class _Bound(yaml.MarkedYAMLError):  # type: ignore[misc]  # PyYAML ships no types: its classes are Any
    """A document outside the loader's bounds (aliases, depth, duplicate keys)."""


class BoundedLoader(yaml.SafeLoader):  # type: ignore[misc]  # as above
    """PyYAML's ``SafeLoader`` with bounds: duplicate keys, alias count and expansion, nesting depth, recursion."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Bound(None, None, f"too many YAML aliases (more than {MAX_ALIASES:,})",
                             self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Bound(None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # ``<<: *base``: merged keys may be overridden by the mapping's own
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable: the base class says so
                    continue
                if first is not None:
                    raise _Bound(None, None, f"duplicate key {key!r} (first given at line {first + 1})",
                                 key_node.start_mark)
                seen[key] = key_node.start_mark.line
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping


def _check_expansion(root: Node) -> None:
    """Refuse a document whose aliases expand to more than :data:`MAX_ALIAS_NODES` extra values, or loop."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Bound(None, None, "a YAML alias refers to a collection that contains it (recursive)",
                         node.start_mark)
        if depth > 2 * MAX_DEPTH:
            raise _Bound(None, None, f"aliases nest values more than {2 * MAX_DEPTH} levels deep", node.start_mark)
        active.add(key)
        n = 1
        if isinstance(node, SequenceNode):
            n += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            n += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        sizes[key] = n
        if n - len(sizes) > MAX_ALIAS_NODES:
            raise _Bound(None, None, f"too many YAML aliases: expanding them adds more than {MAX_ALIAS_NODES:,} "
                                     "values", node.start_mark)
        return n

    if not isinstance(root, ScalarNode):
        size(root, 0)


def load_yaml(text: str, where: str, error: ErrorFactory) -> Any:
    """Parse YAML ``text`` with :class:`BoundedLoader` into plain data (see :func:`plain`).

    ``where`` starts each problem line (a file path, or ``--set key``); raises ``error([line])``.
    """
    try:
        data = yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        why = f": {exc.problem}" if isinstance(exc, _Bound | ComposerError | ConstructorError) and exc.problem else ""
        raise error([f"{where}: not valid YAML{at}{why}"]) from None
    except yaml.YAMLError as exc:
        raise error([f"{where}: not valid YAML ({exc.__class__.__name__})"]) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. an integer of 5,000 digits
        raise error([f"{where}: not valid YAML ({str(exc).splitlines()[0][:120]})"]) from None
    return plain(data, where, error)


def plain(data: Any, where: str, error: ErrorFactory) -> Any:
    """A deep copy of ``data`` made of dicts with string keys, lists, strings, numbers, booleans and None.

    Dates and times become ISO strings; sets and tuples become lists; YAML ``!!binary`` values, and anything
    else that is not plain data, are refused with the path of the value.
    """

    def walk(value: Any, path: str, depth: int) -> Any:
        if depth > 2 * MAX_DEPTH:
            raise error([f"{where}: {path or '(top level)'}: nested too deeply"])
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str | int | float | bool) and k is not None:
                    raise error([f"{where}: {path or '(top level)'}: a key must be a name (got {type(k).__name__})"])
                name = k if isinstance(k, str) else ("null" if k is None else str(k).lower() if isinstance(k, bool)
                                                     else str(k))
                out[name] = walk(v, f"{path}.{name}" if path else name, depth + 1)
            return out
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
            return [walk(v, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(items)]
        if value is None or isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, _dt.date | _dt.datetime):
            return value.isoformat()
        raise error([f"{where}: {path or '(top level)'}: a {type(value).__name__} value is not allowed here "
                     "(give a number, text, a list or a mapping)"])

    return walk(data, "", 0)


def read_yaml(path: str | os.PathLike[str], kind: str, error: ErrorFactory) -> Any:
    """The plain data of a YAML user file (:func:`read_text` then :func:`load_yaml`)."""
    return load_yaml(read_text(path, kind, error), str(path), error)
