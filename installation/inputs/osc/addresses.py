"""The OSC address space: what each address means, which values it takes, the event it makes.

Pure data and checks, no sockets: ``OscAddressSpace.translate`` turns one decoded message
(address + values, as python-osc decodes them) into an event or a reason it was refused.
The default map is ``STANDARD_ADDRESSES``; a show renames addresses, or scales and offsets
their numbers, with ``[controls.osc]`` (``OscBinding``). Nothing from a message or the config
is ever evaluated as code.

How one value is checked and converted is in ``values.py``. A button in TouchOSC or Max sends
1 when pressed and 0 when let go: addresses that take no value accept one such value, and a 0
(or false) is a release that does nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from installation.config.schema import OscBinding
from installation.events import (
    Blackout,
    Event,
    GameInput,
    GameOver,
    NextScene,
    ParameterValue,
    PingReceived,
    PointAt,
    PreviousScene,
    ReplyTo,
    ResetScene,
    SelectScene,
    SetParameter,
    StatusRequested,
    Trigger,
)
from installation.inputs.osc.values import MAX_SEED, Arg, Refused, convert

__all__ = ["MAX_SEED", "STANDARD_ADDRESSES", "Arg", "Message", "OscAddressSpace", "Refused"]


class ShowFacts(Protocol):
    """What the address space may ask of the show while translating (from any thread).

    ``scene_names`` in playlist order; ``has_scene`` answers by name or kind;
    ``check_parameter`` validates a live parameter as the director will (None when fine).
    """

    def scene_names(self) -> Sequence[str]: ...

    def has_scene(self, target: str) -> bool: ...

    def check_parameter(self, scene: str, name: str, value: ParameterValue) -> str | None: ...


@dataclass(frozen=True)
class Message:
    """A decoded message as the address space sees it: where from, when received."""

    address: str
    values: tuple[Any, ...]
    sender: ReplyTo
    received_at: float


Builder = Callable[[list[Any], Message, "ShowFacts"], Event | None]


@dataclass(frozen=True)
class Address:
    """A standard address: its values, what it does (``help``), and how it becomes an event.

    ``continuous`` addresses (faders, XY pads) are coalesced: the newest value per frame wins.
    """

    path: str
    args: tuple[Arg, ...]
    build: Builder
    help: str
    continuous: bool = False


def parse_values(address: Address, values: Sequence[Any], binding: OscBinding | None) -> list[Any]:
    """The message's values checked against ``address.args``; nil in an optional place = unset."""
    required = sum(1 for arg in address.args if not arg.optional)
    if not required <= len(values) <= len(address.args):
        counts = (
            str(required) if required == len(address.args) else f"{required} to {len(address.args)}"
        )
        raise Refused(f"takes {counts} value(s), got {len(values)}")
    parsed: list[Any] = []
    for index, arg in enumerate(address.args):
        value = values[index] if index < len(values) else None
        if value is None:
            if not arg.optional:
                raise Refused(f"{arg.name} is required (got nil)")
            parsed.append(None)
            continue
        parsed.append(convert(arg, value, binding))
    return parsed


# builders --------------------------------------------------------------------------------------


def _released(values: list[Any]) -> bool:
    """A button's release (its value 0/false): nothing to do."""
    return bool(values) and values[0] is False


def _needs(facts: ShowFacts, target: str) -> None:
    if not facts.has_scene(target):
        raise Refused(f"this show has no {target.replace('_', ' ')} scene")


def _parameter(scene: str, name: str) -> Builder:
    def build(values: list[Any], message: Message, facts: ShowFacts) -> Event:
        _needs(facts, scene)
        value: float = values[0]
        problem = facts.check_parameter(scene, name, value)
        if problem is not None:
            raise Refused(problem)
        return SetParameter(name, value, scene=scene, source=f"osc {message.sender[0]}")

    return build


def _scene(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    wanted = values[0]
    names = list(facts.scene_names())
    if isinstance(wanted, int):
        if wanted >= len(names):
            raise Refused(f"scene index must be in 0..{len(names) - 1}")
        return SelectScene(names[wanted])
    if not facts.has_scene(wanted):
        close = difflib.get_close_matches(wanted, names, n=1)
        raise Refused("no such scene" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return SelectScene(wanted)


def _press(event: Callable[[Message, ShowFacts], Event]) -> Builder:
    def build(values: list[Any], message: Message, facts: ShowFacts) -> Event | None:
        return None if _released(values) else event(message, facts)

    return build


def _reset(message: Message, facts: ShowFacts) -> Event:
    _needs(facts, "lava_lamp")
    return ResetScene("lava_lamp", source=f"osc {message.sender[0]}")


def _trigger(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    _needs(facts, "rainbow")
    seed, caption = values
    return Trigger("osc", target="rainbow", seed=seed, caption=caption, at=message.received_at)


def _latent(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    _needs(facts, "rainbow")
    x, y = values
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise Refused("x and y must be in [0, 1]")
    return PointAt(x, y, scene="rainbow", source=f"osc {message.sender[0]}")


def _blackout(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    return Blackout(values[0])


def _reply_to(values: list[Any], message: Message) -> ReplyTo:
    port = values[0]
    return (message.sender[0], message.sender[1] if port is None else port)


def _status(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    return StatusRequested(_reply_to(values, message))


def _ping(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    return PingReceived(_reply_to(values, message))


def _game_move(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    _needs(facts, "tictactoe")
    cell = values[0]
    if not 0 <= cell <= 8:
        raise Refused("cell must be 0..8 (row by row from the top left)")
    return GameInput("cell", cell, source=f"osc {message.sender[0]}")


def _game_new(message: Message, facts: ShowFacts) -> Event:
    _needs(facts, "tictactoe")
    return GameInput("new", source=f"osc {message.sender[0]}")


def _game_over(values: list[Any], message: Message, facts: ShowFacts) -> Event:
    _needs(facts, "rainbow")
    winner, score, seed = values
    winner = winner.strip() or "nobody"
    return GameOver(winner, score, seed, None, "rainbow", "osc", at=message.received_at)


PRESS = (Arg("press", "press", optional=True),)
REPLY_PORT = (Arg("reply_port", "port", optional=True),)

STANDARD_ADDRESSES: tuple[Address, ...] = (
    Address("/scene", (Arg("scene", "scene"),), _scene, "switch to a scene by name or index"),
    Address("/scene/next", PRESS, _press(lambda m, f: NextScene()), "next scene"),
    Address("/scene/previous", PRESS, _press(lambda m, f: PreviousScene()), "previous scene"),
    Address(
        "/lava/rate",
        (Arg("steps_per_second", "number"),),
        _parameter("lava_lamp", "step_rate"),
        "lava lamp speed: model steps per second (0 < rate <= 240)",
        continuous=True,
    ),
    Address(
        "/lava/hue",
        (Arg("degrees", "number"),),
        _parameter("lava_lamp", "hue_shift"),
        "lava lamp hue shift in degrees (-180..180)",
        continuous=True,
    ),
    Address(
        "/lava/saturation",
        (Arg("saturation", "number"),),
        _parameter("lava_lamp", "saturation"),
        "lava lamp saturation (0..3, 1 = as trained)",
        continuous=True,
    ),
    Address(
        "/lava/brightness",
        (Arg("brightness", "number"),),
        _parameter("lava_lamp", "brightness"),
        "lava lamp brightness (0..3, 1 = as trained)",
        continuous=True,
    ),
    Address("/lava/reset", PRESS, _press(_reset), "start the lava lamp over from its seed"),
    Address(
        "/rainbow/trigger",
        (Arg("seed", "int", optional=True), Arg("caption", "text", optional=True)),
        _trigger,
        "reveal a new rainbow (seed N = the rainbow of `installation rainbow --seed N`)",
    ),
    Address(
        "/rainbow/truncation",
        (Arg("psi", "number"),),
        _parameter("rainbow", "truncation"),
        "truncation psi of revealed rainbows (0..1)",
        continuous=True,
    ),
    Address(
        "/rainbow/walk",
        (Arg("speed", "number"),),
        _parameter("rainbow", "walk_speed"),
        "speed factor of the rainbow's drift (0..10: 0 holds still, 1 = one waypoint per "
        "drift_seconds_per_waypoint)",
        continuous=True,
    ),
    Address(
        "/rainbow/latent",
        (Arg("x", "number"), Arg("y", "number")),
        _latent,
        "steer the rainbow to a point (x, y) in [0, 1]^2 of a plane through latent space",
        continuous=True,
    ),
    Address(
        "/show/blackout",
        (Arg("on", "toggle"),),
        _blackout,
        "fade to black (1) or back (0)",
    ),
    Address(
        "/show/status",
        REPLY_PORT,
        _status,
        "reply /installation/status to the sender (or to reply_port on the sender's host)",
    ),
    Address("/ping", REPLY_PORT, _ping, "reply /pong (sent by the frame loop: the show is alive)"),
    Address(
        "/game/move",
        (Arg("cell", "int"),),
        _game_move,
        "the stage game: the player to move plays cell 0..8 (row by row from the top left)",
    ),
    Address("/game/new", PRESS, _press(_game_new), "the stage game: start a new game"),
    Address(
        "/game/over",
        (Arg("winner", "text"), Arg("score", "number"), Arg("seed", "int", optional=True)),
        _game_over,
        "an external game ended: its rainbow is revealed (seed: which one; unset = from winner "
        "and score), shown and posted like the stage game's",
    ),
)


class OscAddressSpace:
    """The standard addresses with a show's ``[controls.osc]`` bindings laid over them."""

    def __init__(
        self,
        bindings: Mapping[str, OscBinding] | None = None,
        addresses: Sequence[Address] = STANDARD_ADDRESSES,
    ) -> None:
        self.standard = {address.path: address for address in addresses}
        self.bindings = dict(bindings or {})
        self._routes: dict[str, tuple[Address, OscBinding | None]] = {
            path: (address, None) for path, address in self.standard.items()
        }
        for path, binding in self.bindings.items():
            if binding.to == "none":
                self._routes.pop(path, None)
        for path, binding in self.bindings.items():
            if binding.to != "none" and binding.to in self.standard:
                self._routes[path] = (self.standard[binding.to], binding)

    def problems(self) -> list[str]:
        """Bindings that name no standard address (listed with the show's other problems)."""
        found: list[str] = []
        for path, binding in self.bindings.items():
            if not path.startswith("/"):
                found.append(f"controls.osc: {path!r} is not an OSC address (start it with /)")
            if binding.to != "none" and binding.to not in self.standard:
                close = difflib.get_close_matches(binding.to, list(self.standard), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                found.append(
                    f"controls.osc.{path!r}: {binding.to!r} is not a standard address.{hint}"
                )
        return found

    def route(self, address: str) -> tuple[Address, OscBinding | None] | None:
        return self._routes.get(address)

    def translate(self, message: Message, facts: ShowFacts) -> tuple[Address, Event | None]:
        """The event ``message`` asks for (None: a valid message with nothing to do).

        Raises ``Refused`` with a short reason for an unknown address or bad values.
        """
        route = self._routes.get(message.address)
        if route is None:
            raise Refused("unknown address")
        address, binding = route
        values_in = message.values
        if binding is not None and binding.button:
            # A controller's button: 1 (or true) on press, 0 on release; its value is not data.
            if values_in and values_in[0] in (0, False) and not isinstance(values_in[0], str):
                return address, None
            values_in = ()
        values = parse_values(address, values_in, binding)
        return address, address.build(values, message, facts)
