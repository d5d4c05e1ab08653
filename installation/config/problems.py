"""A show file's validation errors in its own terms: one line per problem, with the key path.

Pydantic reports where in the schema an error is (``scenes.0.lava_lamp.hue_shift``); the user
wrote ``scenes[0].hue_shift``. Type errors say what the key takes and what was given, in TOML's
words, with the fix when it is plain (write ``fps = 30``); a misspelled key gets a
did-you-mean.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from typing import Any, Union

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from installation.config.schema import ShowConfig

EXPECTED_TYPES = {
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "tuple_type": "an array",
    "list_type": "an array",
    "set_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}
"""Pydantic's type errors (strict mode), and what the key takes in TOML's words."""


def describe_all(
    errors: list[ErrorDetails],
    schema: type[ShowConfig],
    tags: list[str],
    skipped: set[tuple[int | str, ...]],
) -> list[str]:
    """One line per problem. A key with several accepted types (``source``: an integer or a
    string) gets one line naming them all; keys in ``skipped`` are already reported."""
    expected: dict[tuple[int | str, ...], list[str]] = {}
    found: dict[tuple[int | str, ...], tuple[object, Any]] = {}
    lines: dict[tuple[int | str, ...] | int, str] = {}
    for number, error in enumerate(errors):
        keys, _, _, annotation = _walk(error["loc"], schema)
        path = tuple(keys)
        if path in skipped:
            continue
        if error["type"] in EXPECTED_TYPES:
            if path not in expected:
                lines[path] = ""  # keeps the order of the first error at this key
            expected.setdefault(path, []).append(EXPECTED_TYPES[error["type"]])
            found[path] = (error.get("input"), annotation)
        else:
            lines[number] = _describe(error, schema, tags)
    for path, types_ in expected.items():
        value, annotation = found[path]
        lines[path] = _wrong_type(list(path), list(dict.fromkeys(types_)), value, annotation)
    return list(lines.values())


def _wrong_type(keys: list[int | str], expected: list[str], value: object, annotation: Any) -> str:
    """``show.fps: expected an integer, got the string "30". Write `fps = 30`.``"""
    where = format_path(keys) or "(top level)"
    wanted = " or ".join(expected)
    message = f"{where}: expected {wanted}, got {_toml_type(value)}."
    fix = _fix(expected, value, annotation)
    if fix is not None and keys and isinstance(keys[-1], str):
        message += f" Write `{_toml_key(keys[-1])} = {fix}`."
    elif fix is not None:
        message += f" Write {fix}."
    return message


def _toml_type(value: object) -> str:
    """A TOML value's type and the value, in words: ``the string "30"``, ``a table``."""
    if isinstance(value, bool):
        return f"the boolean {_toml_value(value)}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the float {_toml_value(value)}"
    if isinstance(value, str):
        return f"the string {_toml_value(value)}"
    if isinstance(value, list):
        return f"the array {_toml_value(value)}" if len(str(value)) <= 40 else "an array"
    if isinstance(value, dict):
        return "a table"
    return f"{value!r}"


def _fix(expected: list[str], value: object, annotation: Any) -> str | None:
    """What the user probably meant, as a TOML value, when it is plain (``annotation``: the
    key's type, for an array's items)."""
    if len(expected) != 1:
        return None
    if "an integer" in expected and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and ("an integer" in expected or "a number" in expected):
        for number in (int, float):
            try:
                parsed = number(value.strip())
            except ValueError:
                continue
            if number is int or "a number" in expected:
                return _toml_value(parsed)
    if "true or false" in expected and str(value).strip().lower() in ("true", "false"):
        return str(value).strip().lower()
    if "a string" in expected and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _toml_value(str(value))
    if "an array" in expected and _item_accepts(annotation, value):
        return f"[{_toml_value(value)}]"
    return None


def _item_accepts(annotation: Any, value: object) -> bool:
    """Whether ``value`` would be a valid item of the array type ``annotation``, by its type."""
    items = typing.get_args(_unwrap(annotation))
    if not items or typing.get_origin(_unwrap(annotation)) not in (tuple, list):
        return False
    item = _unwrap(items[0])
    if typing.get_origin(item) is typing.Literal:
        return value in typing.get_args(item)
    if isinstance(value, bool):
        return item is bool
    return (
        (item is str and isinstance(value, str))
        or (item in (int, float) and isinstance(value, int | float) and isinstance(value, item))
        or (item is float and isinstance(value, int))
    )


def _toml_value(value: object) -> str:
    """``value`` written as in a TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)  # 30.5, inf, nan: as TOML writes them
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return str(value)


def _toml_key(key: str) -> str:
    """A key as written in TOML: bare when it may be, quoted otherwise."""
    bare = key and all((c.isalnum() and c.isascii()) or c in "_-" for c in key)
    return key if bare else json.dumps(key)


def _describe(error: ErrorDetails, schema: type[ShowConfig], tags: list[str]) -> str:
    """One line for one pydantic error: key path, what is wrong, and a did-you-mean."""
    keys, model, container, _ = _walk(error["loc"], schema)
    where = format_path(keys) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        wrong = str(keys[-1]) if keys else ""
        valid = sorted(model.model_fields) if model is not None else []
        close = difflib.get_close_matches(wrong, valid, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"{where}: unknown key.{hint} Valid keys here: {', '.join(valid)}."
    if kind == "missing" and keys and isinstance(keys[-1], int):
        items = typing.get_args(_unwrap(container))
        given = error.get("input")
        count = len(given) if isinstance(given, list) else "fewer"
        if typing.get_origin(_unwrap(container)) is tuple and Ellipsis not in items:
            return (
                f"{format_path(keys[:-1])}: expected an array of {len(items)} values, got {count}."
            )
    if kind == "missing":
        return f"{where}: required key is missing."
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        given = error.get("input", {})
        given_kind = given.get("kind") if isinstance(given, dict) else None
        close = difflib.get_close_matches(str(given_kind), tags, n=1) if given_kind else []
        hint = f" Did you mean {close[0]!r}?" if close else ""
        if given_kind is None:
            return f"{where}.kind: every scene needs a kind, one of: {', '.join(tags)}."
        kinds = ", ".join(tags)
        return f"{where}.kind: unknown scene kind {given_kind!r}.{hint} Valid kinds: {kinds}."
    message = error["msg"]
    shown = error.get("input")
    if isinstance(shown, (dict, list)) or shown is None:
        return f"{where}: {message}."
    return f"{where}: {message} (got {shown!r})."


def _walk(
    loc: tuple[int | str, ...], schema: type[ShowConfig]
) -> tuple[list[int | str], type[BaseModel] | None, Any, Any]:
    """Follow a pydantic location through the schema.

    Unions put a member into the location: a discriminated union its tag (``lava_lamp``), any
    other union the member's type (``int``, ``str``). Neither is a key the user wrote, so it is
    dropped. Returns the user's key path, the model class that holds the last key (for
    did-you-mean), the annotation of what holds the last key and the last key's annotation.
    """
    keys: list[int | str] = []
    annotation: Any = schema
    owner: type[BaseModel] | None = schema
    container: Any = None
    for part in loc:
        annotation = _unwrap(annotation)
        if typing.get_origin(annotation) in (Union, types.UnionType):
            members = [m for m in typing.get_args(annotation) if m is not type(None)]
            tagged = _union_member(annotation, part)
            if tagged is not None:
                annotation = owner = tagged
                continue
            if len(members) == 1:  # X | None: pydantic locates errors in X directly
                annotation = _unwrap(members[0])
            elif isinstance(part, str) and not _is_key_of(annotation, part):
                continue  # the member's type (``int``), not a key
            else:
                annotation = None
        container = annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner = annotation
            field = annotation.model_fields.get(str(part))
            annotation = field.annotation if field is not None else None
        elif typing.get_origin(annotation) is tuple and isinstance(part, int):
            args = typing.get_args(annotation)
            fixed = args and Ellipsis not in args and part < len(args)
            annotation = args[part] if fixed else (args[0] if args else None)
        elif typing.get_origin(annotation) in (list, tuple, dict):
            args = typing.get_args(annotation)
            annotation = args[-1] if args else None
        else:
            annotation = None
        keys.append(part)
    return keys, owner, container, annotation


def _is_key_of(union: Any, key: str) -> bool:
    """Whether ``key`` is a key of a table (a model or a dict) that ``union`` may hold."""
    for member in typing.get_args(union):
        member = _unwrap(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            if key in member.model_fields:
                return True
        elif typing.get_origin(member) is dict:
            return True
    return False


def _union_member(union: Any, tag: int | str) -> type[BaseModel] | None:
    """The member of a discriminated union whose ``kind`` literal is ``tag``."""
    for member in typing.get_args(union):
        member = _unwrap(member)
        if (
            isinstance(member, type)
            and issubclass(member, BaseModel)
            and "kind" in member.model_fields
        ) and typing.get_args(member.model_fields["kind"].annotation) == (tag,):
            return member
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` wrappers."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def format_path(keys: list[int | str]) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
