"""``installation osc send | monitor``: check an OSC rig without TouchOSC or Max at hand.

``send`` sends one message to a show (and prints the answer to ``/ping`` and
``/show/status``); ``monitor`` listens where a show's ``[[osc.targets]]`` point and prints
what the show sends. Both use python-osc, as the show does.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

from installation.commands.common import SubParsers, port, positive_seconds
from installation.errors import InstallationError
from installation.inputs.osc.addresses import STANDARD_ADDRESSES


def register(sub: SubParsers) -> None:
    osc = sub.add_parser("osc", help="check an OSC rig: send a message, watch what the show sends")
    verbs = osc.add_subparsers(dest="verb", metavar="VERB", required=True)
    sending = verbs.add_parser(
        "send",
        help="send one OSC message to a show (prints the answer to /ping and /show/status)",
        description="Values: ints, floats, true/false, nil, else strings; s:7 sends the "
        "string '7', f:7 the float 7.0. Example: installation osc send /rainbow/trigger 7",
    )
    sending.add_argument("address", help="OSC address, e.g. /rainbow/trigger")
    sending.add_argument("values", nargs="*", help="the message's values")
    sending.add_argument("--host", default="127.0.0.1", help="the show's host (default 127.0.0.1)")
    sending.add_argument("--port", type=port(1), default=9000, help="the show's OSC port (9000)")
    sending.add_argument(
        "--wait", type=float, default=2.0, metavar="S", help="seconds to wait for an answer"
    )
    sending.set_defaults(handler=_send_command)
    watching = verbs.add_parser(
        "monitor", help="print what a show sends to its [[osc.targets]] (until Ctrl+C)"
    )
    watching.add_argument("--host", default="127.0.0.1", help="address to listen on")
    watching.add_argument("--port", type=port(0), default=9001, help="port to listen on (9001)")
    watching.add_argument("--count", type=int, metavar="N", help="stop after N messages")
    watching.add_argument("--seconds", type=positive_seconds, metavar="S", help="stop after S s")
    watching.set_defaults(handler=_monitor_command)


def _send_command(args: argparse.Namespace) -> int:
    return send(SendRequest(args.address, args.values, args.host, args.port, args.wait))


def _monitor_command(args: argparse.Namespace) -> int:
    try:
        return monitor(MonitorRequest(args.host, args.port, args.count, args.seconds))
    except KeyboardInterrupt:
        return 0


ANSWERED = {"/ping": "/pong", "/show/status": "/installation/status"}


def parse_value(text: str) -> Any:
    """A command-line word as an OSC value: int, float, true/false, nil, else a string.

    ``s:WORD`` forces a string (``s:7`` sends the string "7"); ``f:7`` forces a float.
    """
    lowered = text.lower()
    if text.startswith("s:"):
        return text[2:]
    if text.startswith("f:"):
        try:
            return float(text[2:])
        except ValueError:
            raise InstallationError(f"{text!r}: f: must be followed by a number") from None
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "nil":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def encode(address: str, values: Sequence[Any]) -> bytes:
    builder = OscMessageBuilder(address=address)
    for value in values:
        if value is None:
            builder.add_arg(None, OscMessageBuilder.ARG_TYPE_NIL)
        else:
            builder.add_arg(value)
    return bytes(builder.build().dgram)


def describe(data: bytes) -> list[str]:
    """Each message of a datagram as ``/address value value``; a bad one is said so."""
    try:
        packet = OscPacket(data)
    except Exception as exc:
        return [f"(not OSC: {len(data)} bytes, {type(exc).__name__})"]
    lines = []
    for timed in packet.messages:
        values = " ".join(repr(v) if isinstance(v, str) else str(v) for v in timed.message.params)
        lines.append(f"{timed.message.address} {values}".rstrip())
    return lines


@dataclass(frozen=True)
class SendRequest:
    address: str
    words: Sequence[str]
    host: str = "127.0.0.1"
    port: int = 9000
    wait: float = 2.0


def send(request: SendRequest, out: TextIO = sys.stdout) -> int:
    """Send one message; for ``/ping`` and ``/show/status`` wait for and print the answer."""
    if not request.address.startswith("/"):
        raise InstallationError(
            f"{request.address!r} is not an OSC address: it starts with / (e.g. /rainbow/trigger)"
        )
    standard = {address.path for address in STANDARD_ADDRESSES}
    if request.address not in standard:
        print(
            f"note: {request.address} is not a standard address; the show refuses it unless "
            "its [controls.osc] binds it",
            file=sys.stderr,
        )
    values = [parse_value(word) for word in request.words]
    data = encode(request.address, values)
    family = socket.AF_INET6 if ":" in request.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(data, (request.host, request.port))
        except OSError as exc:
            raise InstallationError(f"cannot send to {request.host}:{request.port}: {exc}") from exc
        print(f"sent {' '.join([request.address, *request.words])} to "
              f"{request.host}:{request.port}", file=out)  # fmt: skip
        answer = ANSWERED.get(request.address)
        if answer is None or request.wait <= 0:
            return 0
        sock.settimeout(request.wait)
        deadline = time.monotonic() + request.wait
        while time.monotonic() < deadline:
            try:
                reply, _ = sock.recvfrom(65536)
            except (TimeoutError, ConnectionRefusedError):
                break
            lines = describe(reply)
            for line in lines:
                print(line, file=out)
            if any(line.startswith(answer) for line in lines):
                return 0
    print(
        f"no {answer} within {request.wait:g} s: is the show running with OSC on "
        f"{request.host}:{request.port}?",
        file=sys.stderr,
    )
    return 1


@dataclass(frozen=True)
class MonitorRequest:
    host: str = "127.0.0.1"
    port: int = 9001
    count: int | None = None
    seconds: float | None = None


def monitor(request: MonitorRequest, out: TextIO = sys.stdout) -> int:
    """Print every message that arrives until Ctrl+C, ``count`` messages or ``seconds``."""
    family = socket.AF_INET6 if ":" in request.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((request.host, request.port))
        except OSError as exc:
            raise InstallationError(
                f"cannot listen on {request.host}:{request.port}: {exc} "
                "(another monitor running? pick --port)"
            ) from exc
        host, port = sock.getsockname()[:2]
        print(f"listening on {host}:{port} (Ctrl+C stops)", file=out, flush=True)
        sock.settimeout(0.2)
        started, seen = time.monotonic(), 0
        while request.count is None or seen < request.count:
            if request.seconds is not None and time.monotonic() - started >= request.seconds:
                break
            try:
                data, sender = sock.recvfrom(65536)
            except TimeoutError:
                continue
            stamp = time.strftime("%H:%M:%S")
            for line in describe(data):
                print(f"{stamp} {line}  (from {sender[0]}:{sender[1]})", file=out, flush=True)
                seen += 1
    return 0
