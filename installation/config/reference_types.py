"""How a key reads in the show config reference: its type in TOML's words, what values it
allows (range, choices, length, a known pattern's meaning) and its default as TOML."""

from __future__ import annotations

import json
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Union

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from installation.config.actions import ActionName
from installation.config.posting_schema import EnvName, Url
from installation.config.schema import OscBinding


def type_and_allowed(annotation: Any, metadata: Sequence[Any] = ()) -> tuple[str, str]:
    """A value's type in TOML's words, and what it allows (range, choices, length)."""
    annotation = optional(annotation)
    metadata = list(metadata)
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        metadata += extra
    allowed = _constraints(metadata, "characters" if annotation is str else "items")
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        kind = "integer" if all(isinstance(a, int) for a in args) else "string"
        choices = "one of " + ", ".join(f"`{a}`" for a in args) if len(args) > 1 else f"`{args[0]}`"
        return kind, choices
    if origin in (Union, typing.get_origin(int | str)):
        parts = [type_and_allowed(member)[0] for member in args if member is not type(None)]
        return " or ".join(parts), allowed
    if origin in (tuple, list):
        fixed = origin is tuple and Ellipsis not in args
        item, item_allowed = type_and_allowed(args[0])
        plural = item if item.endswith("s") else f"{item}s"
        kind = f"array of {len(args)} {plural}" if fixed else f"array of {plural}"
        each = f"each {item_allowed}" if item_allowed else ""
        return kind, ", ".join(filter(None, [each, allowed]))
    if origin is dict:
        value, value_allowed = type_and_allowed(args[1])
        each = f"each {value_allowed}" if value_allowed else ""
        return f"table of {value}s", each
    names = {int: "integer", float: "number", str: "string", bool: "boolean", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation))), allowed


def _constraints(metadata: Sequence[Any], noun: str = "items") -> str:
    """``1 to 240``, ``> 0, ≤ 60``, ``1 to 5 items``, ``not empty``, a known pattern's meaning."""
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update((k, v) for k, v in _fields_of(item.metadata).items() if v is not None)
        else:
            found.update((k, v) for k, v in _fields_of([item]).items() if v is not None)
    parts: list[str] = []
    bounds = [(sign, found[name]) for name, sign in BOUNDS.items() if name in found]
    if [sign for sign, _ in bounds] == ["≥", "≤"]:
        parts.append(f"{number(bounds[0][1])} to {number(bounds[1][1])}")
    else:
        parts += [f"{sign} {number(value)}" for sign, value in bounds]
    if "min_length" in found or "max_length" in found:
        least, most = found.get("min_length", 0), found.get("max_length")
        if most is not None:
            parts.append(f"{least} to {most} {noun}")
        else:
            parts.append("not empty" if least == 1 else f"at least {least} {noun}")
    if "pattern" in found:
        parts.append(_PATTERNS.get(found["pattern"], f"matches `{found['pattern']}`"))
    return ", ".join(parts)


BOUNDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def _fields_of(metadata: Sequence[Any]) -> dict[str, Any]:
    names = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")
    return {name: getattr(item, name) for item in metadata for name in names if hasattr(item, name)}


def _pattern_of(annotation: Any) -> str:
    return str(_fields_of(typing.get_args(annotation)[1].metadata)["pattern"])


_PATTERNS = {
    _pattern_of(ActionName): "an action (see [Actions](#actions))",
    _pattern_of(EnvName): "an environment variable's name",
    _pattern_of(Url): "an http:// or https:// URL",
    str(_fields_of(OscBinding.model_fields["to"].metadata)["pattern"]): "`none` or an address",
}


def default_of(info: FieldInfo) -> str:
    if info.default_factory is not None:
        return f"`{_toml(info.default_factory())}`"  # type: ignore[call-arg]
    if info.default is PydanticUndefined:
        return "required"
    if info.default is None:
        return "unset"
    return f"`{_toml(info.default)}`"


def _toml(value: object) -> str:
    """``value`` as written in a TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, Path)):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return number(value) if isinstance(value, (int, float)) else str(value)


def number(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e6:
        return f"{value:.0f}.0"
    return f"{value:_}" if isinstance(value, int) and abs(value) >= 1_000_000 else str(value)


def optional(annotation: Any) -> Any:
    """``X`` for ``X | None``."""
    if typing.get_origin(annotation) in (Union, typing.get_origin(int | str)):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation
