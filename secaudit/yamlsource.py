"""Safe YAML reading that remembers where every value came from.

PyYAML's safe loader is used only to compose the node graph; we build the
Python values ourselves so that we can count nodes as aliases expand (a
"billion laughs" document fails fast with bounded memory), refuse duplicate
keys, and record the line of every value for error messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from secaudit.errors import Problem
from secaudit.model.common import describe_value

# libyaml's composer when PyYAML was built with it (several times faster); the pure-Python one otherwise.
# Either only composes nodes: values are built below, with the same limits and line numbers.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class YamlSourceError(Exception):
    """A YAML file could not be read; carries the problems with file:line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class YamlDocument:
    """A parsed YAML file and the line of every value in it."""

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, loc: Iterable[str | int]) -> int:
        """The line of the deepest known value on the path ``loc``."""
        key: PathKey = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def where(self, loc: Iterable[str | int] = ()) -> str:
        """``file:line`` for the value at ``loc``."""
        return f"{self.path}:{self.line_of(loc)}"

    def validate(self, model: type[M], data: Any = None, base: PathKey = ()) -> M:
        """Validate ``data`` (default: the whole document) against ``model``, errors with file:line."""
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            raise YamlSourceError(self.problems_from(exc, base)) from None

    def problems_from(self, exc: ValidationError, base: PathKey = ()) -> list[Problem]:
        """Translate pydantic errors into problems naming file, line and field."""
        problems = []
        for error in exc.errors():
            loc = base + tuple(error["loc"])
            problems.append(Problem(self.where(loc), f"{self.describe(loc)}: {_message(error)}"))
        return problems

    def describe(self, loc: PathKey) -> str:
        """A field path such as ``controls[3] (HUM-5.2-001).questions[0].type``."""
        out = ""
        node: Any = self.data
        for part in loc:
            if isinstance(part, int):
                out += f"[{part}]"
                node = node[part] if isinstance(node, list) and part < len(node) else None
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    out += f" ({node['id']})"
            else:
                out += ("." if out else "") + str(part)
                node = node.get(part) if isinstance(node, dict) else None
        return out or "(document)"


# What a field of the wrong type needed; the message goes on to say what it got (no value is coerced).
_TYPE_NEEDED = {
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "float_type": "must be a number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "date_type": "must be a date (YYYY-MM-DD)",
}


def _message(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind in _TYPE_NEEDED:
        return f"{_TYPE_NEEDED[kind]}, not {describe_value(error.get('input'))}"
    msg = str(error.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


_WHAT_A_TAG_NEEDS = {
    "tag:yaml.org,2002:bool": "not a boolean (true or false)",
    "tag:yaml.org,2002:int": "not a whole number",
    "tag:yaml.org,2002:float": "not a number",
}
_DATE_ONLY_RE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")


def _scalar_problem(node: yaml.ScalarNode, exc: Exception) -> str:
    """Why a scalar could not be built: what it should be, the value as written, and Python's reason."""
    shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
    if isinstance(exc, yaml.MarkedYAMLError):
        detail = exc.problem or "invalid value"
    elif isinstance(exc, KeyError | AttributeError | TypeError):
        detail = ""
    else:
        detail = str(exc)
    if node.tag == "tag:yaml.org,2002:timestamp":
        what = "not a real date" if _DATE_ONLY_RE.match(node.value.strip()) else "not a real date and time"
    else:
        what = _WHAT_A_TAG_NEEDS.get(node.tag, "bad value")
    return f"{what}: {shown}" + (f" ({detail})" if detail else "")


def load_yaml(path: Path, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES) -> YamlDocument:
    """Read ``path`` safely; raise ``YamlSourceError`` with file:line on any problem."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlSourceError([Problem(str(path), f"cannot read: {exc.strerror}")]) from None
    if size > max_bytes:
        raise YamlSourceError([Problem(f"{path}:1", f"file is {size} bytes; the limit is {max_bytes} bytes")])
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSourceError([Problem(f"{path}:1", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise YamlSourceError([Problem(str(path), f"cannot read: {exc.strerror}")]) from None
    return parse_yaml(text, path, max_nodes)


def parse_yaml(text: str, path: Path, max_nodes: int = MAX_NODES) -> YamlDocument:
    """Parse YAML ``text`` that came from ``path``."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSourceError([Problem(f"{path}:{line}", f"YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise YamlSourceError([Problem(f"{path}:1", f"YAML error: {exc}")]) from None
    doc = YamlDocument(path=path, data=None)
    if node is None:
        doc.data = None
        return doc
    builder = _Builder(doc, max_nodes)
    doc.data = builder.build(node, ())
    return doc


_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})


class _Builder:
    def __init__(self, doc: YamlDocument, max_nodes: int) -> None:
        self.doc = doc
        self.max_nodes = max_nodes
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self.active: set[int] = set()

    def build(self, node: yaml.Node, loc: PathKey) -> Any:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > self.max_nodes:
            raise YamlSourceError(
                [
                    Problem(
                        f"{self.doc.path}:{line}",
                        f"document expands to more than {self.max_nodes} values "
                        "(an alias bomb, or a file far larger than any checklist)",
                    )
                ]
            )
        self.doc.lines.setdefault(loc, line)
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode) and node.tag not in _COLLECTION_TAGS:
            raise YamlSourceError([Problem(f"{self.doc.path}:{line}", f"tag '{node.tag}' is not allowed")])
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.constructor.construct_object(node, deep=True)
            # PyYAML checks the form of a scalar, then builds it with Python, which raises its own errors: a
            # date such as 2027-02-30 has the form of a date (ValueError), '!!bool maybe' none (KeyError).
            except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                message = f"{self.doc.describe(loc)}: {_scalar_problem(node, exc)}"
                raise YamlSourceError([Problem(f"{self.doc.path}:{line}", message)]) from None
        if id(node) in self.active:
            raise YamlSourceError([Problem(f"{self.doc.path}:{line}", "recursive alias")])
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, loc + (i,)) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
        finally:
            self.active.discard(id(node))
        raise YamlSourceError([Problem(f"{self.doc.path}:{line}", "unsupported YAML node")])

    def _mapping(self, node: yaml.MappingNode, loc: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSourceError(
                    [Problem(f"{self.doc.path}:{line}", "keys must be plain strings (no merge keys)")]
                )
            key = str(key_node.value)
            if key in result:
                raise YamlSourceError([Problem(f"{self.doc.path}:{line}", f"duplicate key '{key}'")])
            self.doc.lines[loc + (key,)] = line
            result[key] = self.build(value_node, loc + (key,))
            self.doc.lines[loc + (key,)] = line
        return result
