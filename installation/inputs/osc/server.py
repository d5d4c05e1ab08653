"""The OSC server: python-osc over UDP on its own thread; it translates datagrams, nothing else.

The server thread hands each datagram to the ``OscRouter`` (allow-list, rate limit, decode,
translate, count) and keeps what it yields in a small pending table. The frame loop polls
this source once per frame (``polled = True``; a poll swaps the table under a lock held for
microseconds) and posts the frame's events: the newest value per continuous address (a
fader sending 200 values a second moves the picture once per frame), every discrete event
in order (triggers, scene changes), and bundles whose timetag has come. The pending table is
bounded (``MAX_PENDING`` events, ``max_scheduled`` bundles; past either, the oldest event or
the new bundle is dropped and counted as ``osc_backlog_dropped``), so nothing grows with time
even while the frame loop is stalled.

python-osc's own dispatcher is not used: it sleeps on its thread until a bundle's timetag,
and drops datagrams that do not look like OSC before anyone can count them.
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

from installation.config.schema import OscSection
from installation.errors import InputError
from installation.events import Event, InputReceived, ReplyTo
from installation.inputs.base import InputSource, Post
from installation.inputs.osc.advertise import OscAdvertiser
from installation.inputs.osc.router import OscRouter, Routed

log = logging.getLogger(__name__)
MAX_PENDING = 4096
"""Events waiting for the next frame at most (a frame normally takes a handful)."""
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
"""Kernel receive buffer asked for: a burst of datagrams waits there, not on the floor."""


def _is_loopback(entry: str) -> bool:
    try:
        return ipaddress.ip_network(entry, strict=False).is_loopback
    except ValueError:
        return entry == "localhost"


class _Server(BlockingOSCUDPServer):
    """python-osc's UDP server, with every datagram (OSC-looking or not) handed to ``receive``."""

    max_packet_size = 65535  # socketserver's 8,192 would cut a large bundle and apply a part

    def __init__(self, address: tuple[str, int], receive: Callable[[bytes, Any], None]) -> None:
        self._receive = receive
        super().__init__(address, Dispatcher())

    def server_bind(self) -> None:
        with contextlib.suppress(OSError):  # the kernel may cap it; the default still works
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        super().server_bind()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return True  # malformed datagrams are counted by the router, not dropped unseen

    def finish_request(self, request: Any, client_address: Any) -> None:
        self._receive(request[0], client_address)


class OscInput(InputSource):
    """Listens for OSC on ``[osc]`` host:port and posts the show events it asks for."""

    name = "osc"
    polled = True

    def __init__(
        self,
        settings: OscSection,
        router: OscRouter,
        port: int | None = None,
        *,
        advertiser: OscAdvertiser | None = None,
        show_name: str = "",
    ) -> None:
        self.settings = settings
        self.router = router
        self.requested_port = settings.port if port is None else port
        self.advertiser = advertiser
        """Announces the server over zeroconf once it listens (``[osc] advertise``)."""
        self.service_name = settings.service_name or show_name
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._post: Post | None = None
        self._lock = threading.Lock()
        self._pending: dict[object, Event] = {}
        self._order = itertools.count()
        self._scheduled: list[tuple[float, int, Routed]] = []
        self._last_shown: tuple[str, str] | None = None
        self.handled = 0
        """Datagrams the server thread has finished with (their events are pending)."""

    @property
    def address(self) -> ReplyTo:
        """Where the server listens (the real port when ``port = 0`` asked for any)."""
        if self._server is None:
            return (self.settings.host, self.requested_port)
        host, port = self._server.server_address[:2]
        return (str(host), int(port))

    def start(self, post: Post) -> None:
        try:
            self._server = _Server((self.settings.host, self.requested_port), self._received)
        except OSError as exc:
            raise InputError(
                f"cannot listen for OSC on {self.settings.host}:{self.requested_port} ({exc}); "
                "is another show running? Set [osc] port or pass --osc-port"
            ) from exc
        self._post = post
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="osc-server"
        )
        self._thread.daemon = True
        self._thread.start()
        host, port = self.address
        log.info("OSC: listening on %s:%d (senders allowed: %s)", host, port, self._allowed())
        if not _is_loopback(host) and all(_is_loopback(entry) for entry in self.settings.allow):
            log.warning(
                "OSC: listening on %s, but [osc] allow lets in loopback only: datagrams from "
                "the LAN are dropped (osc_denied). Add their network, e.g. "
                'allow = ["192.168.1.0/24"]',
                host,
            )
        self._advertise(host, port)

    def _advertise(self, host: str, port: int) -> None:
        """Announce the running server; a failure is one line and the show goes on."""
        if self.advertiser is None:
            return
        try:
            self.advertiser.start(host, port, self.service_name)
        except InputError as exc:
            log.warning("OSC is not advertised over zeroconf: %s", exc)
            self.advertiser = None

    def _allowed(self) -> str:
        return ", ".join(self.settings.allow) or "nobody"

    def _received(self, data: bytes, client_address: Any) -> None:
        """Server thread: route one datagram; never raises (a bad one must not stop the server)."""
        try:
            self._route(data, client_address)
        finally:
            self.handled += 1  # only this thread writes it

    def _route(self, data: bytes, client_address: Any) -> None:
        received_at = time.perf_counter()
        try:
            sender = (str(client_address[0]), int(client_address[1]))
            routed = self.router.datagram(data, sender, received_at)
        except Exception:
            log.exception("OSC: a datagram could not be handled")
            return
        if not routed:
            return
        with self._lock:
            for item in routed:
                if item.due > 0.0:
                    if len(self._scheduled) < self.settings.max_scheduled:
                        heapq.heappush(self._scheduled, (item.due, next(self._order), item))
                    else:
                        self.router.count_backlog_drop()
                    continue
                self._add(item)

    def _add(self, item: Routed) -> None:
        """Into the frame's table (lock held): a continuous key replaces its older value."""
        key: object = item.key if item.key is not None else next(self._order)
        self._pending.pop(key, None)
        self._pending[key] = item.event
        if len(self._pending) > MAX_PENDING:
            del self._pending[next(iter(self._pending))]
            self.router.count_backlog_drop()

    def poll(self, now: float) -> None:
        """Main thread, once per frame: post this frame's events (microseconds)."""
        if self._post is None:
            return
        with self._lock:
            if self._scheduled:
                wall = time.time()
                while self._scheduled and self._scheduled[0][0] <= wall:
                    self._add(heapq.heappop(self._scheduled)[2])
            events = list(self._pending.values()) if self._pending else []
            self._pending = {} if events else self._pending
        last = self.router.last_message  # also a button's release, which makes no event
        if last is not None and last != self._last_shown:
            self._last_shown = last
            self._post(InputReceived(f"osc {last[0]}", last[1]))
        for event in events:
            self._post(event)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        if self.advertiser is not None:
            self.advertiser.stop()  # the goodbye goes out while the port is still open
        server.shutdown()  # returns within the poll interval (0.1 s)
        server.server_close()
        self._post = None
