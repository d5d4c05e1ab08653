"""One OSC value checked and converted for the address space: numbers, ints, toggles, text.

Numbers may arrive as int or float wherever a number makes sense (an integral float is an int;
a bool is never a number); OSC 1.1's ``T``/``F`` are booleans and ``N`` (nil) stands for "not
given" in an optional place (``addresses.parse_values``). Non-finite numbers are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from installation.config.schema import OscBinding

ArgKind = Literal["number", "int", "text", "toggle", "scene", "port", "press"]
MAX_SEED = 2**63 - 1
MAX_CAPTION = 500


class Refused(Exception):
    """A message that cannot be applied; ``reason`` (its text) is short and fixed per cause."""


@dataclass(frozen=True)
class Arg:
    """One value of a message: its name in docs and errors, its kind, whether it may be left out."""

    name: str
    kind: ArgKind
    optional: bool = False


# values ----------------------------------------------------------------------------------------


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused(f"{name} must be a number (got {_type_name(value)})")
    number = float(value)
    if not math.isfinite(number):
        raise Refused(f"{name} must be a finite number")
    return number


def _integer(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if not low <= value <= high:  # exact: a float would round seeds above 2^53
            raise Refused(f"{name} must be in {low}..{high}")
        return value
    number = _number(value, name)
    if not number.is_integer():
        raise Refused(f"{name} must be a whole number (got {number:g})")
    if not low <= number <= high:
        raise Refused(f"{name} must be in {low}..{high}")
    return int(number)


def _toggle(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    number = _number(value, name)
    if number not in (0.0, 1.0):
        raise Refused(f"{name} must be 0 or 1 (or true/false)")
    return number == 1.0


def _type_name(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true/false"
    return {int: "int", float: "float", str: "string", bytes: "blob"}.get(
        type(value), type(value).__name__
    )


def convert(arg: Arg, value: Any, binding: OscBinding | None) -> Any:
    if arg.kind == "number":
        number = _number(value, arg.name)
        return number if binding is None else number * binding.scale + binding.offset
    if arg.kind == "int":
        return _integer(value, arg.name, 0, MAX_SEED)
    if arg.kind == "port":
        return _integer(value, arg.name, 1, 65535)
    if arg.kind in ("toggle", "press"):
        return _toggle(value, arg.name)
    if arg.kind == "text":
        if not isinstance(value, str):
            raise Refused(f"{arg.name} must be a string (got {_type_name(value)})")
        if len(value) > MAX_CAPTION:
            raise Refused(f"{arg.name} is longer than {MAX_CAPTION} characters")
        return value
    # "scene": a name, or a playlist index counted from 0
    if isinstance(value, str):
        return value
    return _integer(value, arg.name, 0, 10_000)
