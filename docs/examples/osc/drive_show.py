"""Drive a running show over OSC: the whole standard address space, one part after another.

Start a show (any show; OSC is on by default, on 127.0.0.1:9000)::

    installation run show_configs/stage.toml --windowed

then, in a second terminal::

    .venv/bin/python docs/examples/osc/drive_show.py            # everything
    .venv/bin/python docs/examples/osc/drive_show.py --only lava --only ping

Parts, in this order (``--only PART`` picks some; repeat it):

- ``ping``: ``/ping`` and ``/show/status``; the show answers ``/pong`` and
  ``/installation/status`` to the port this script sends from, and the script prints them;
- ``scenes``: ``/scene 0`` (by index), ``/scene/next``, ``/scene/previous``, ``/scene NAME``;
- ``lava``: sweeps ``/lava/hue`` around the colour wheel and ``/lava/brightness`` down and up,
  nudges ``/lava/saturation`` and ``/lava/rate``, then ``/lava/reset``;
- ``rainbow``: walks ``/rainbow/latent`` in a circle, sets ``/rainbow/walk`` and
  ``/rainbow/truncation``, and reveals ``/rainbow/trigger SEED CAPTION``;
- ``blackout``: ``/show/blackout 1``, then ``/show/blackout 0``.

A show refuses ``/lava/*`` when it has no lava lamp scene and ``/rainbow/*`` when it has no
rainbow scene (each refusal is logged and counted as ``osc_rejected``), so pick the parts
that fit the show: ``--only lava`` for the default show, ``--only rainbow`` for the stage show.
Buttons are sent as a press (1) followed by a release (0), as TouchOSC and Max send them.

Only python-osc is needed (``pip install python-osc``; the show's venv has it).
"""

from __future__ import annotations

import argparse
import math
import socket
import sys
import time
from collections.abc import Sequence

from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

Value = int | float | str | bool | None
PARTS = ("ping", "scenes", "lava", "rainbow", "blackout")
ANSWERS = {"/ping": "/pong", "/show/status": "/installation/status"}


class Show:
    """One UDP socket to a show: messages go out from it, and the show's answers come back to it."""

    def __init__(self, host: str, port: int, rate: float, verbose: bool) -> None:
        self.address = (host, port)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        self.interval = 1.0 / rate
        self.verbose = verbose
        self.sent = 0

    def close(self) -> None:
        self.sock.close()

    def send(self, address: str, *values: Value, quiet: bool = False) -> None:
        """Send one message (``None`` is sent as OSC nil: "not given")."""
        builder = OscMessageBuilder(address=address)
        for value in values:
            if value is None:
                builder.add_arg(None, OscMessageBuilder.ARG_TYPE_NIL)
            else:
                builder.add_arg(value)
        self.sock.sendto(builder.build().dgram, self.address)
        self.sent += 1
        if self.verbose or not quiet:
            print(f"-> {address} {' '.join(_shown(value) for value in values)}".rstrip())

    def press(self, address: str) -> None:
        """A button: pressed (1), then let go (0); the show acts on the press only."""
        self.send(address, 1)
        time.sleep(0.05)
        self.send(address, 0, quiet=True)

    def sweep(
        self, address: str, start: float, stop: float, seconds: float, back: bool = False
    ) -> None:
        """A fader moved from ``start`` to ``stop`` (and back) over ``seconds``."""
        steps = max(1, round(seconds / self.interval))
        path = [start + (stop - start) * i / steps for i in range(steps + 1)]
        if back:
            path += path[-2::-1]
        print(f"-> {address} {start:g} .. {stop:g}{' .. ' + format(start, 'g') if back else ''}"
              f" ({len(path)} messages)")  # fmt: skip
        for value in path:
            self.send(address, round(value, 4), quiet=True)
            time.sleep(self.interval)

    def ask(self, address: str, wait: float) -> bool:
        """Send ``address`` and print what comes back until its answer (or ``wait`` seconds)."""
        self.send(address)
        expected = ANSWERS[address]
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, sender = self.sock.recvfrom(65536)
            except (TimeoutError, ConnectionRefusedError):
                break
            for got, values in _decode(data):
                print(f"<- {got} {' '.join(_shown(value) for value in values)}".rstrip()
                      + f"  (from {sender[0]}:{sender[1]})")  # fmt: skip
                if got == "/installation/status":
                    _print_status(values)
                if got == expected:
                    return True
        print(f"   no {expected} within {wait:g} s: is a show listening on "
              f"{self.address[0]}:{self.address[1]}?", file=sys.stderr)  # fmt: skip
        return False


def _decode(data: bytes) -> list[tuple[str, list[Value]]]:
    try:
        packet = OscPacket(data)
    except Exception as exc:  # python-osc raises ParseError, but also IndexError & co.
        return [(f"(not OSC: {type(exc).__name__})", [])]
    return [(timed.message.address, list(timed.message.params)) for timed in packet.messages]


def _shown(value: Value) -> str:
    if value is None:
        return "nil"
    return repr(value) if isinstance(value, str) else str(value)


def _print_status(values: Sequence[Value]) -> None:
    """``/installation/status SCENE FPS PROVIDER BLACKOUT FRAMES [COUNTER VALUE ...]``."""
    if len(values) < 5:
        return
    scene, fps, provider, blackout, frames = values[:5]
    print(f"   scene {scene!r}, {fps} fps on {provider}, blackout {bool(blackout)}, "
          f"{frames} frames")  # fmt: skip
    counters = values[5:]
    pairs = [f"{counters[i]}={counters[i + 1]}" for i in range(0, len(counters) - 1, 2)]
    if pairs:
        print(f"   counters: {', '.join(pairs)}")


# the parts -------------------------------------------------------------------------------------


def ping(show: Show, args: argparse.Namespace) -> bool:
    alive = show.ask("/ping", args.wait)
    return show.ask("/show/status", args.wait) and alive


def scenes(show: Show, args: argparse.Namespace) -> None:
    show.send("/scene", 0)  # by index in the playlist, counted from 0
    time.sleep(args.pause)
    show.press("/scene/next")
    time.sleep(args.pause)
    show.press("/scene/previous")
    time.sleep(args.pause)
    if args.scene:
        show.send("/scene", args.scene)  # by name (a scene's `name`, else its kind)
        time.sleep(args.pause)


def lava(show: Show, args: argparse.Namespace) -> None:
    show.sweep("/lava/hue", 0.0, 180.0, args.sweep / 2)
    show.sweep("/lava/hue", -180.0, 0.0, args.sweep / 2)
    show.sweep("/lava/brightness", 1.0, 0.3, args.sweep / 2, back=True)
    show.sweep("/lava/saturation", 1.0, 2.0, args.sweep / 2, back=True)
    show.send("/lava/rate", 24.0)  # model steps per second: faster ...
    time.sleep(args.pause)
    show.send("/lava/rate", 8.0)  # ... and back
    show.press("/lava/reset")
    time.sleep(args.pause)


def rainbow(show: Show, args: argparse.Namespace) -> None:
    show.send("/rainbow/walk", 3.0)  # drift three times as fast
    time.sleep(args.pause)
    show.send("/rainbow/walk", 1.0)
    steps = max(8, round(args.sweep / show.interval))
    print(f"-> /rainbow/latent: a circle of {steps} points around (0.5, 0.5)")
    for i in range(steps + 1):
        angle = 2.0 * math.pi * i / steps
        x, y = 0.5 + 0.4 * math.cos(angle), 0.5 + 0.4 * math.sin(angle)
        show.send("/rainbow/latent", round(x, 4), round(y, 4), quiet=True)
        time.sleep(show.interval)
    show.send("/rainbow/truncation", 0.6)
    show.send("/rainbow/trigger", args.seed, f"seed {args.seed}, sent by drive_show.py")
    time.sleep(args.pause * 2)  # the reveal fades in, then holds
    show.send("/rainbow/truncation", 0.8)
    show.send("/rainbow/trigger")  # no values: the scene's next seed, no caption
    time.sleep(args.pause * 2)


def blackout(show: Show, args: argparse.Namespace) -> None:
    show.send("/show/blackout", 1)
    time.sleep(args.pause * 2)
    show.send("/show/blackout", 0)
    time.sleep(args.pause)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1", help="the show's host (127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="the show's OSC port (9000)")
    parser.add_argument(
        "--only", action="append", choices=PARTS, metavar="PART",
        help=f"run only this part ({', '.join(PARTS)}); repeat for more; default all",
    )  # fmt: skip
    parser.add_argument("--scene", help="also switch to this scene by name (e.g. 'lava lamp')")
    parser.add_argument("--seed", type=int, default=7, help="seed of the triggered rainbow (7)")
    parser.add_argument("--rate", type=float, default=60.0, help="fader messages per second (60)")
    parser.add_argument("--sweep", type=float, default=4.0, help="seconds per sweep (4)")
    parser.add_argument("--pause", type=float, default=1.5, help="seconds between steps (1.5)")
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to wait for answers (2)")
    parser.add_argument("--verbose", action="store_true", help="print every message sent")
    args = parser.parse_args(argv)
    if not 0 < args.rate <= 400:
        parser.error("--rate must be in (0, 400]: a show lets 500 datagrams/s per sender in")
    parts = args.only or list(PARTS)
    show = Show(args.host, args.port, args.rate, args.verbose)
    ok = True
    try:
        print(f"driving the show at {args.host}:{args.port} "
              f"(answers come back to port {show.sock.getsockname()[1]})")  # fmt: skip
        for part in PARTS:
            if part not in parts:
                continue
            print(f"== {part}")
            if part == "ping":
                ok = ping(show, args) and ok
            else:
                {"scenes": scenes, "lava": lava, "rainbow": rainbow, "blackout": blackout}[part](
                    show, args
                )
        if "ping" in parts:  # the counters after everything above
            print("== status after")
            time.sleep(1.0)
            ok = show.ask("/show/status", args.wait) and ok
    except KeyboardInterrupt:
        print("stopped")
    finally:
        show.close()
    print(f"sent {show.sent} messages")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
