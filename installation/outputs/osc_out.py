"""OSC out: lights, sound and a stage manager hear what the show does; peers get their answers.

Every ``[[osc.targets]]`` peer receives:

- ``/installation/scene NAME`` when a crossfade ends on a new scene;
- ``/installation/rainbow/shown SEED TRUNCATION GALLERY_FILE [CAPTION]`` when a rainbow is
  revealed (the gallery file's name, or "" when the gallery is off);
- ``/installation/fps FPS`` and ``/installation/heartbeat FRAMES UPTIME_S LATE_FRAMES`` once
  per heartbeat (a second by default), sent from the frame loop's own beat, so silence means
  the loop itself stopped.

Answers go to whoever asked: ``/pong`` for ``/ping`` and ``/installation/status SCENE FPS
PROVIDER BLACKOUT FRAMES [COUNTER VALUE ...]`` for ``/show/status``.

``handle`` only queues (bounded, ``when_behind = drop``); a worker thread builds and sends
the datagrams with python-osc. UDP sends do not block on a dead peer; an unreachable host is
logged once per target and counted as ``osc_send_errors``; each datagram sent is counted as
``osc_sent``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from installation.events import (
    Event,
    ImageRevealed,
    Pong,
    ReplyTo,
    SceneChanged,
    ShowHeartbeat,
    StatusReport,
)
from installation.outputs.base import OutputSink
from installation.outputs.gallery import gallery_stem
from installation.throttled_log import ThrottledLog

log = logging.getLogger(__name__)
QUEUE_SIZE = 1024
Datagram = tuple[str, list[Any]]


def _encode(address: str, values: Sequence[Any]) -> OscMessage:
    builder = OscMessageBuilder(address=address)
    for value in values:
        builder.add_arg(value)
    return builder.build()


class OscSender(OutputSink):
    """Sends show events to the configured OSC targets and answers to askers (module docstring)."""

    name = "osc out"
    when_behind = "drop"

    def __init__(
        self,
        targets: Sequence[ReplyTo],
        providers: Mapping[str, str],
        count: Callable[[str, int], None],
        gallery_enabled: bool = True,
    ) -> None:
        self.targets = list(targets)
        self.providers = dict(providers)
        self._count = count
        self._gallery = gallery_enabled
        self._queue: queue.Queue[tuple[list[ReplyTo], Datagram] | None] = queue.Queue(QUEUE_SIZE)
        self._thread = threading.Thread(target=self._work, name="osc-out", daemon=True)
        self._clients: dict[ReplyTo, SimpleUDPClient] = {}
        self._errors = ThrottledLog(log, interval=60.0)
        self._beat: ShowHeartbeat | None = None
        self._scene = ""
        self.dropped = 0
        count("osc_sent", 0)

    def start(self) -> None:
        self._thread.start()

    def handle(self, event: Event) -> None:
        if isinstance(event, ShowHeartbeat):
            self._beat = event
            self._send(self.targets, "/installation/fps", [round(event.fps, 3)])
            self._send(
                self.targets,
                "/installation/heartbeat",
                [event.frames, round(event.uptime_s, 3), event.late_frames],
            )
        elif isinstance(event, SceneChanged):
            self._scene = event.scene
            self._send(self.targets, "/installation/scene", [event.scene])
        elif isinstance(event, ImageRevealed):
            image = f"{gallery_stem(event)}.png" if self._gallery else ""
            values: list[Any] = [event.seed, float(event.truncation), image]
            if event.caption:
                values.append(event.caption)
            self._send(self.targets, "/installation/rainbow/shown", values)
        elif isinstance(event, Pong):
            self._send([event.reply_to], "/pong", [])
        elif isinstance(event, StatusReport):
            self._send([event.reply_to], "/installation/status", self._status(event))

    def _status(self, report: StatusReport) -> list[Any]:
        beat = self._beat
        provider = ",".join(sorted(set(self.providers.values()))) or "none"
        values: list[Any] = [
            report.scene,
            round(beat.fps, 3) if beat else 0.0,
            provider,
            int(report.blackout),
            beat.frames if beat else 0,
        ]
        for name, value in sorted((beat.counters if beat else {}).items()):
            values += [name, int(value)]
        return values

    def _send(self, peers: list[ReplyTo], address: str, values: list[Any]) -> None:
        if not peers:
            return
        try:
            self._queue.put_nowait((peers, (address, values)))
        except queue.Full:
            self.dropped += 1
            self._count("osc_send_dropped", 1)

    def stop(self) -> None:
        """Send what is queued (a final heartbeat, say), then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=5.0)
        for client in self._clients.values():
            client.close()
        self._clients = {}

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            peers, (address, values) = item
            try:
                message = _encode(address, values)
            except Exception:
                log.exception("OSC out: cannot encode %s %r", address, values)
                continue
            for peer in peers:
                self._send_to(peer, message, address)

    def _send_to(self, peer: ReplyTo, message: OscMessage, address: str) -> None:
        try:
            client = self._clients.get(peer)
            if client is None:
                if len(self._clients) >= 256:  # askers come and go: keep the table bounded
                    self._clients.pop(next(iter(self._clients))).close()
                client = self._clients[peer] = SimpleUDPClient(peer[0], peer[1])
            client.send(message)
        except OSError as exc:
            self._count("osc_send_errors", 1)
            self._errors.warning(
                ("send", peer), "OSC out: cannot send %s to %s:%d: %s", address, *peer, exc
            )
            return
        self._count("osc_sent", 1)
