"""Shared pieces of the OSC tests: show facts for a two-scene show, datagram builders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage

from installation.commands.osc import encode
from installation.events import ParameterValue
from installation.inputs.osc.addresses import OscAddressSpace
from installation.inputs.osc.router import AllowList, OscRouter, RateLimiter

LOOPBACK = ("127.0.0.1", 50000)
RANGES = {
    ("lava_lamp", "hue_shift"): (-180.0, 180.0),
    ("lava_lamp", "saturation"): (0.0, 3.0),
    ("lava_lamp", "brightness"): (0.0, 3.0),
    ("lava_lamp", "step_rate"): (1e-9, 240.0),
    ("rainbow", "truncation"): (0.0, 1.0),
    ("rainbow", "walk_speed"): (0.0, 10.0),
}


class FakeFacts:
    """A show with a lava lamp and a rainbow scene; parameter ranges as in their settings."""

    def __init__(self, scenes: Sequence[str] = ("lava lamp", "rainbow")) -> None:
        self.scenes = list(scenes)

    def scene_names(self) -> Sequence[str]:
        return self.scenes

    def has_scene(self, target: str) -> bool:
        return target in self.scenes or target.replace("_", " ") in self.scenes

    def check_parameter(self, scene: str, name: str, value: ParameterValue) -> str | None:
        low, high = RANGES[(scene, name)]
        assert isinstance(value, float)
        return None if low <= value <= high else f"{name} out of range"


def message(address: str, *values: Any) -> bytes:
    """One encoded message, as ``installation osc send`` encodes it (None = nil)."""
    return encode(address, values)


def bundle(*messages: bytes, timetag: float = 0.0) -> bytes:
    """A bundle of encoded messages; timetag 0 = immediately, else seconds since the epoch."""
    builder = OscBundleBuilder(timetag if timetag else IMMEDIATELY)
    for data in messages:
        builder.add_content(OscMessage(data))
    return bytes(builder.build().dgram)


def make_router(
    counts: Counter[str],
    facts: FakeFacts | None = None,
    allow: Sequence[str] = ("127.0.0.0/8", "::1"),
    rate: float = 1e9,
    burst: int = 1_000_000,
    bindings: Any = None,
    clock: Any = None,
    wall_clock: Any = None,
) -> OscRouter:
    def count(name: str, amount: int) -> None:
        counts[name] += amount

    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if wall_clock is not None:
        extra["wall_clock"] = wall_clock
    return OscRouter(
        OscAddressSpace(bindings),
        facts or FakeFacts(),
        AllowList(allow),
        RateLimiter(rate, burst),
        count,
        **extra,
    )


def outcome_sum(counts: Counter[str]) -> int:
    return sum(
        counts[f"osc_{name}"]
        for name in ("applied", "rejected", "rate_limited", "malformed", "denied")
    )
