"""From one UDP datagram to events: allow-list, rate limit, decode, translate, count. No sockets.

Each datagram gets exactly one outcome, counted under ``osc_<outcome>``:

- ``denied``: its sender is not on the allow-list (never decoded);
- ``rate_limited``: its sender is over its rate (token bucket per host; never decoded);
- ``malformed``: it is not a well-formed OSC message or bundle;
- ``rejected``: it decoded, but a message in it could not be applied (unknown address, wrong
  type or count, out of range, a timetag too far ahead); the bundle's other messages apply;
- ``applied``: every message in it was valid and its event is posted (or scheduled).

``osc_datagrams`` counts every datagram and ``osc_messages`` every decoded message, so
``osc_datagrams == applied + rejected + rate_limited + malformed + denied``. Refusals are
logged at most once a minute per address and reason, and at most ``LOG_LINES_PER_MINUTE``
lines a minute in all, so a flood of random addresses cannot flood the log.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pythonosc.osc_packet import OscPacket

from installation.events import Event, ReplyTo
from installation.inputs.osc.addresses import Message, OscAddressSpace, Refused, ShowFacts
from installation.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

Outcome = Literal["applied", "rejected", "rate_limited", "malformed", "denied"]
OUTCOMES: tuple[Outcome, ...] = ("applied", "rejected", "rate_limited", "malformed", "denied")
LOG_LINES_PER_MINUTE = 30
MAX_SENDERS = 1024
"""Rate-limit buckets remembered at once (the least recently heard sender is forgotten)."""


class _UnknownTypeTagFilter(logging.Filter):
    """python-osc warns on the root logger for every unknown type tag it skips: a flood of
    such datagrams would flood the log. The router counts and logs them itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unhandled parameter type")


_FILTER = _UnknownTypeTagFilter()


@dataclass(frozen=True)
class Routed:
    """An event for the frame loop. ``key`` coalesces (the newest per key and frame wins; None:
    never coalesced); ``due`` is the wall time (``time.time``) a bundle's timetag asked for."""

    event: Event
    key: str | None
    due: float


class AllowList:
    """Sender addresses and networks let in (IPv4-mapped IPv6 senders count as IPv4)."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in entries]

    def allows(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


class RateLimiter:
    """A token bucket per sender host: ``rate`` datagrams a second, ``burst`` over it."""

    def __init__(self, rate: float, burst: int, max_senders: int = MAX_SENDERS) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_senders = max_senders
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, host: str, now: float) -> bool:
        tokens, last = self._buckets.get(host, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[host] = (tokens - 1.0 if allowed else tokens, now)
        self._buckets.move_to_end(host)
        if len(self._buckets) > self.max_senders:
            self._buckets.popitem(last=False)
        return allowed

    def __len__(self) -> int:
        return len(self._buckets)


class _RefusalLog:
    """Once a minute per (address, reason), and at most ``LOG_LINES_PER_MINUTE`` lines in all."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._per_key = ThrottledLog(log, interval=60.0, clock=clock)
        self._clock = clock
        self._window_start = clock()
        self._lines = 0
        self.suppressed = 0

    def warning(self, key: tuple[str, str], message: str, *args: object) -> None:
        now = self._clock()
        if now - self._window_start >= 60.0:
            if self.suppressed:
                log.warning("OSC: %d more refusals in the last minute not logged", self.suppressed)
            self._window_start, self._lines, self.suppressed = now, 0, 0
        if self._lines >= LOG_LINES_PER_MINUTE:
            self.suppressed += 1
            return
        if self._per_key.warning(key, message, *args):
            self._lines += 1


class OscRouter:
    """Turns datagrams into ``Routed`` events, counting each one's outcome (``count(name, n)``)."""

    def __init__(
        self,
        addresses: OscAddressSpace,
        facts: ShowFacts,
        allow: AllowList,
        limiter: RateLimiter,
        count: Callable[[str, int], None],
        max_schedule_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.addresses = addresses
        self.facts = facts
        self.allow = allow
        self.limiter = limiter
        self._count = count
        self.max_schedule_seconds = max_schedule_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._refusals = _RefusalLog(clock)
        logging.getLogger().addFilter(_FILTER)  # once: a logger keeps one of each filter
        for name in ("datagrams", "messages", *OUTCOMES):  # in the stats JSON from the start
            count(f"osc_{name}", 0)
        self.last_message: tuple[str, str] | None = None
        """The newest applied message and its sender's host, for the stats overlay."""

    def count_backlog_drop(self) -> None:
        """An applied event was dropped because the frame loop's backlog was full."""
        self._count("osc_backlog_dropped", 1)

    def datagram(self, data: bytes, sender: ReplyTo, received_at: float) -> list[Routed]:
        """Route one datagram received at ``received_at`` (``perf_counter``) from ``sender``."""
        self._count("osc_datagrams", 1)
        outcome, routed = self._route(data, sender, received_at)
        self._count(f"osc_{outcome}", 1)
        return routed

    def _route(
        self, data: bytes, sender: ReplyTo, received_at: float
    ) -> tuple[Outcome, list[Routed]]:
        host = str(sender[0])
        if not self.allow.allows(host):
            self._refusals.warning(
                ("*", f"denied {host}"), "OSC: dropped datagrams from %s: not on [osc] allow", host
            )
            return "denied", []
        if not self.limiter.allow(host, self._clock()):
            self._refusals.warning(
                ("*", f"rate {host}"),
                "OSC: %s sends more than %g datagrams/s; dropping the excess",
                host,
                self.limiter.rate,
            )
            return "rate_limited", []
        try:
            packet = OscPacket(data)
            timed = packet.messages
        except Exception as exc:  # python-osc raises ParseError, but also IndexError & co.
            self._refusals.warning(
                ("*", f"malformed {host}"),
                "OSC: malformed datagram from %s (%d bytes): %s",
                host,
                len(data),
                type(exc).__name__,
            )
            return "malformed", []
        self._count("osc_messages", len(timed))
        now_wall = self._wall_clock()
        outcome: Outcome = "applied"
        routed: list[Routed] = []
        for due, decoded in timed:
            try:
                address = decoded.address
                values = tuple(decoded.params)
            except Exception:  # a message whose body python-osc decodes lazily and fails on
                outcome = "rejected"
                continue
            message = Message(address, values, (host, int(sender[1])), received_at)
            try:
                if due - now_wall > self.max_schedule_seconds:
                    raise Refused(f"timetag more than {self.max_schedule_seconds:g} s ahead")
                spec, event = self.addresses.translate(message, self.facts)
            except Refused as refused:
                outcome = "rejected"
                self._refusals.warning(
                    (address[:64], str(refused)),
                    "OSC: refused %s from %s: %s",
                    f"{address[:64]} {_shown(values)}".rstrip(),
                    _peer(sender),
                    refused,
                )
                continue
            self.last_message = (host, f"{address} {_shown(values)}".rstrip())
            if event is not None:
                key = address if spec.continuous else None
                routed.append(Routed(event, key, due if due > now_wall else 0.0))
        return outcome, routed


def _shown(values: tuple[object, ...]) -> str:
    text = " ".join(repr(value) if isinstance(value, str) else str(value) for value in values)
    return text if len(text) <= 60 else text[:57] + "..."


def _peer(sender: ReplyTo) -> str:
    return f"{sender[0]}:{sender[1]}"
