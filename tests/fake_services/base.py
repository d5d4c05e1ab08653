"""The common part of the fake services: the HTTP server, the fault plan and the logs.

A fake is a ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive, every answer with a Content-Length)
on 127.0.0.1, served from a daemon thread. Each request first asks the :class:`FaultPlan`
whether to misbehave, then the service's ``route`` answers it under the service's lock, so the
services keep their state in plain dicts.

Two logs judge what really happened: ``requests`` (every request, with the status sent or the
fault injected) and ``effects`` (every change a user would see: a post, an upload, a login),
the latter also appended to ``log_path`` as JSON lines, each flushed and fsynced.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from email.parser import Parser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "drop_before", "drop_after", "slow")
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass
class FaultPlan:
    """Which requests misbehave, and how.

    ``script`` is a queue consumed first: each request (on a path matching ``paths``, when
    set) pops one entry, ``"ok"`` or a fault kind. Once it is empty, each such request fails
    with probability ``failure_rate`` with a kind drawn from ``kinds`` (seeded by ``seed``).
    Kinds: ``429``, ``500``, ``503`` (no effect, an error answer), ``drop_before`` (no
    effect, the socket closed without an answer), ``drop_after`` (the effect happens, then the
    socket is closed without an answer) and ``slow`` (``slow_seconds`` of sleep, then the
    normal effect and answer).
    """

    failure_rate: float = 0.0
    seed: int | None = None
    kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 3.0
    paths: str | None = None
    script: list[str] = field(default_factory=list)
    _rng: random.Random = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(init=False, repr=False, compare=False)
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be within [0, 1], not {self.failure_rate}")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds {unknown}; known: {FAULT_KINDS}")
        self._check_script(self.script)
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._pattern = re.compile(self.paths) if self.paths is not None else None

    @staticmethod
    def _check_script(entries: list[str]) -> None:
        bad = [entry for entry in entries if entry != "ok" and entry not in FAULT_KINDS]
        if bad:
            raise ValueError(f"unknown script entries {bad}; use 'ok' or one of {FAULT_KINDS}")

    def push(self, *entries: str) -> None:
        """Append entries to the script (thread-safe; for tests that script faults later)."""
        self._check_script(list(entries))
        with self._lock:
            self.script.extend(entries)

    def applies_to(self, path: str) -> bool:
        return self._pattern is None or self._pattern.search(path) is not None

    def next_fault(self, path: str) -> str | None:
        """The fault for the next request to ``path``, or None for a normal answer."""
        if not self.applies_to(path):
            return None
        with self._lock:
            if self.script:
                entry = self.script.pop(0)
                return None if entry == "ok" else entry
            if self.failure_rate > 0.0 and self._rng.random() < self.failure_rate:
                return self._rng.choice(self.kinds)
        return None


@dataclass
class Part:
    """One part of a multipart/form-data body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str = "text/plain"

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class BadBody(ValueError):
    """The body does not parse as its Content-Type says."""


@dataclass
class Request:
    """A request as the services see it."""

    method: str
    target: str
    headers: Message
    body: bytes
    notes: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query_string(self) -> str:
        return urlsplit(self.target).query

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def arg(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadBody(f"invalid JSON body: {error}") from error

    def parts(self) -> list[Part]:
        """The parts of a multipart/form-data body (empty for any other body)."""
        if self.content_type != "multipart/form-data":
            return []
        boundary = self._param("Content-Type", "boundary")
        if not boundary:
            raise BadBody("multipart body without a boundary")
        sections = (b"\r\n" + self.body).split(b"\r\n--" + boundary.encode("latin-1"))
        parts = []
        for section in sections[1:]:
            if section.startswith(b"--"):
                break
            head, separator, data = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
            if not separator:
                raise BadBody("multipart part without headers")
            headers = Parser(policy=HTTP).parsestr(head.decode("utf-8", "replace") + "\r\n\r\n")
            name = headers.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                raise BadBody("multipart part without a name")
            filename = headers.get_filename()
            parts.append(Part(name, data, filename, headers.get_content_type()))
        return parts

    def _param(self, header: str, name: str) -> str | None:
        value = self.headers.get_param(name, header=header)
        return value if isinstance(value, str) else None

    def fields(self) -> list[tuple[str, str]]:
        """Form fields of a urlencoded or multipart body (the text parts), in order."""
        if self.content_type == "application/x-www-form-urlencoded":
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BadBody("form body is not UTF-8") from error
            return parse_qsl(text, keep_blank_values=True)
        return [(part.name, part.text) for part in self.parts() if part.filename is None]


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if self.body is None:
            return b"", self.headers.get("Content-Type", "application/json; charset=utf-8")
        return json.dumps(self.body).encode("utf-8"), "application/json; charset=utf-8"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], service: FakeService) -> None:
        self.service = service
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that went away (reset, timeout): not the fake's problem
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10.0  # an idle keep-alive connection is closed after 10 s
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Answers go out in one write, without Nagle's wait for the client's delayed ACK.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.service._connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.service._connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise BadBody("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise BadBody("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except (BadBody, ValueError):
            self.close_connection = True
            self.send(Response(400, {"error": "BadRequest", "message": "unreadable body"}))
            return
        request = Request(self.command, self.path, self.headers, body)
        self.server.service._serve(self, request)

    def drop(self) -> None:
        """Close the connection without any answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def send(self, response: Response) -> None:
        """Write the whole answer (status line, headers, body) in one write."""
        data, content_type = response.encoded()
        reason = self.responses.get(response.status, ("",))[0]
        lines = [
            f"{self.protocol_version} {response.status} {reason}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {content_type}",
        ]
        skip = ("content-type", "content-length", "server", "date")
        lines += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in skip]
        lines.append(f"Content-Length: {len(data)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + data if self.command != "HEAD" else head)
            self.wfile.flush()
        except OSError:
            # The client gave up (a timeout on a slow answer): nothing left to tell it.
            self.close_connection = True


class FakeService:
    """Base class of the fakes: subclasses define ``route`` and their error shapes."""

    service_name: ClassVar[str] = "fake"

    def __init__(
        self,
        *,
        faults: FaultPlan | None = None,
        log_path: Path | None = None,
        reset_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.faults = faults if faults is not None else FaultPlan()
        self.log_path = log_path
        self.reset_seconds = reset_seconds
        self._address = (host, port)
        self._lock = threading.RLock()
        self._requests: list[dict[str, Any]] = []
        self._effects: list[dict[str, Any]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log_file: IO[str] | None = None
        self._connections: set[socket.socket] = set()
        self._ids = 0

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        if self.log_path is not None:
            self._log_file = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    # -- logs ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request: time, method, path, status sent (None when dropped), fault, notes."""
        with self._lock:
            return [{**record, "notes": list(record["notes"])} for record in self._requests]

    @property
    def effects(self) -> list[dict[str, Any]]:
        """Every change a user would see, oldest first."""
        with self._lock:
            return [dict(record) for record in self._effects]

    def effects_of(self, kind: str) -> list[dict[str, Any]]:
        return [effect for effect in self.effects if effect["kind"] == kind]

    def posts(self) -> list[dict[str, Any]]:
        return self.effects_of("post")

    def posts_with(self, marker: str) -> int:
        """How many posts have ``marker`` (e.g. ``#item-17``) in their text."""
        return sum(1 for post in self.posts() if marker in (post.get("text") or ""))

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [record for record in self.requests if record["path"] == path]

    def record_effect(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Log an effect (call from ``route``, which holds the lock)."""
        effect = {"service": self.service_name, "kind": kind, **fields, "time": time.time()}
        with self._lock:
            self._effects.append(effect)
            if self._log_file is not None:
                self._log_file.write(json.dumps(effect) + "\n")
                self._log_file.flush()
                os.fsync(self._log_file.fileno())
        return effect

    def next_id(self) -> int:
        """A snowflake-like id: milliseconds since 2010-11-04 shifted, plus a sequence."""
        with self._lock:
            self._ids += 1
            return ((int(time.time() * 1000) - 1288834974657) << 22) | (self._ids & 0x3FFFFF)

    # -- serving ------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        """The service's error answer (its JSON error shape)."""
        return Response(status, {"error": code or str(status), "message": message})

    def rate_limit_headers(self, remaining: int, reset_at: float) -> dict[str, str]:
        return {}

    def _fault_response(self, fault: str) -> Response:
        status = int(fault)
        messages = {429: "Too Many Requests", 500: "Internal Server Error"}
        response = self.error(status, messages.get(status, "Service Unavailable"))
        if status == 429:
            response.headers.update(self.rate_limit_headers(0, time.time() + self.reset_seconds))
        return response

    def _handle(self, request: Request) -> Response:
        try:
            with self._lock:
                response = self.route(request)
        except BadBody as error:
            response = self.error(400, str(error))
        except Exception as error:
            request.notes.append(f"exception: {error!r}")
            response = self.error(500, "Internal Server Error")
        headers = self.rate_limit_headers(299, time.time() + self.reset_seconds)
        response.headers = {**headers, **response.headers}
        return response

    def _serve(self, handler: _Handler, request: Request) -> None:
        record: dict[str, Any] = {
            "time": time.time(),
            "method": request.method,
            "path": request.path,
            "status": None,
            "handled_status": None,
            "fault": None,
            "notes": request.notes,
        }
        fault = self.faults.next_fault(request.path)
        record["fault"] = fault
        if fault in ("429", "500", "503"):
            response = self._fault_response(fault)
        elif fault == "drop_before":
            self._log_request(record)
            handler.drop()
            return
        else:
            if fault == "slow":
                time.sleep(self.faults.slow_seconds)
            response = self._handle(request)
            record["handled_status"] = response.status
            if fault == "drop_after":
                self._log_request(record)
                handler.drop()
                return
        record["status"] = response.status
        self._log_request(record)
        handler.send(response)

    def _log_request(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(record)

    def _connection_opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _connection_closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(data: bytes) -> tuple[str | None, int, int]:
    """(MIME type from the magic bytes, width, height); (None, 0, 0) for no known image."""
    mime = next((mime for magic, mime in _MAGIC if data.startswith(magic)), None)
    if mime is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        mime = "image/webp"
    if mime is None:
        return None, 0, 0
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:
        return mime, 0, 0
    return mime, width, height
