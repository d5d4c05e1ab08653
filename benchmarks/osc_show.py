"""Shared by the OSC benchmarks: a headless show with OSC on a free port, run as a user runs it.

``ShowProcess`` starts ``installation run SHOW --headless --seconds S --stats PATH --osc-port N``
in a subprocess, waits until the frame loop answers ``/ping`` with ``/pong``, and at the end
waits for the process to exit and reads its stats. ``stage_show`` writes a temporary copy of
``show_configs/stage.toml`` with absolute paths (model, gallery) and extra ``[osc]`` settings.
The kernel's view of the show's socket (datagrams dropped at the receive buffer) comes from
``/proc/net/udp`` and ``/proc/net/snmp``.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from headless_run import ROOT, steal_seconds
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

OUTCOMES = ("applied", "rejected", "rate_limited", "malformed", "denied")


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy so far (user, system, irq; not idle, iowait, steal)."""
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return (user + nice + system + irq + softirq) / ticks


def own_cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (the show, senders, oscsend)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def free_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def encode(address: str, *values: Any) -> bytes:
    """One OSC message, encoded by python-osc."""
    builder = OscMessageBuilder(address=address)
    for value in values:
        builder.add_arg(value)
    return bytes(builder.build().dgram)


def stage_show(
    folder: Path,
    osc: dict[str, Any] | None = None,
    targets: list[tuple[str, int]] | None = None,
    name: str = "stage_osc.toml",
) -> Path:
    """A copy of stage.toml with absolute paths, the gallery in ``folder/gallery``, ``[osc]``."""
    text = (ROOT / "show_configs" / "stage.toml").read_text(encoding="utf-8")
    text = text.replace('"../exported_models/', f'"{(ROOT / "exported_models").as_posix()}/')
    gallery = (folder / "gallery").as_posix()
    text = re.sub(r'(?m)^folder = "\.\./gallery"', f'folder = "{gallery}"', text)
    if osc or targets:
        text += "\n[osc]\n"
        for key, value in (osc or {}).items():
            text += f"{key} = {json.dumps(value)}\n"
        for host, port in targets or []:
            text += f'\n[[osc.targets]]\nhost = "{host}"\nport = {port}\n'
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def udp_socket_drops(port: int) -> int | None:
    """Datagrams the kernel dropped at the receive buffer of the UDP socket on ``port``."""
    try:
        lines = Path("/proc/net/udp").read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 12 and int(fields[1].split(":")[1], 16) == port:
            return int(fields[12])
    return None


def udp_snmp() -> dict[str, int]:
    """The machine's UDP counters (``InDatagrams``, ``InErrors``, ``RcvbufErrors``, ...)."""
    try:
        lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    except OSError:
        return {}
    rows = [line for line in lines if line and line[0] == "Udp:"]
    if len(rows) < 2:
        return {}
    return {name: int(value) for name, value in zip(rows[0][1:], rows[1][1:], strict=True)}


def snmp_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before.get(name, 0) for name in after}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class ShowProcess:
    """``installation run SHOW --headless --seconds S --stats ... --osc-port N`` in a subprocess."""

    def __init__(self, show: Path, seconds: float, folder: Path, port: int | None = None) -> None:
        self.show = show
        self.seconds = seconds
        self.port = port or free_port()
        self.stats_path = folder / f"stats_{self.port}.json"
        self.log_path = folder / f"show_{self.port}.log"
        self._log = self.log_path.open("wb")
        self._process: subprocess.Popen[bytes] | None = None
        self._stolen = 0.0
        self.started_at = 0.0

    def __enter__(self) -> ShowProcess:
        env = dict(
            os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYNPUT_BACKEND="dummy"
        )
        command = [sys.executable, "-m", "installation", "run", str(self.show), "--headless",
                   "--seconds", str(self.seconds), "--stats", str(self.stats_path),
                   "--osc-port", str(self.port)]  # fmt: skip
        self._stolen = steal_seconds()
        self._busy = machine_busy_seconds() - own_cpu_seconds()
        self._load = Path("/proc/loadavg").read_text().split()[:3]
        self.started_at = time.monotonic()
        self._process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._log.close()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def ping(self, timeout: float = 1.0, sock: socket.socket | None = None) -> float | None:
        """Send ``/ping``; the round trip to ``/pong`` in ms (None: no answer in ``timeout``)."""
        own = sock is None
        sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if own:
                sock.bind(("127.0.0.1", 0))
            sock.settimeout(0.05)
            sent = time.perf_counter()
            sock.sendto(encode("/ping"), ("127.0.0.1", self.port))
            while time.perf_counter() - sent < timeout:
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                try:
                    if any(m.message.address == "/pong" for m in OscPacket(data).messages):
                        return (time.perf_counter() - sent) * 1000.0
                except Exception:
                    continue
            return None
        finally:
            if own:
                sock.close()

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Ping until the frame loop answers; seconds from start to the first ``/pong``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"the show exited early; see {self.log_path}")
            if self.ping(timeout=0.25) is not None:
                return time.monotonic() - self.started_at
        raise RuntimeError(f"the show did not answer /ping in {timeout:g} s; see {self.log_path}")

    def finish(self, timeout: float = 120.0) -> tuple[int, dict[str, Any]]:
        """Wait for the show to end by itself; its exit code and stats, with ``steal_ms`` and
        ``others_cpu_s``: the CPU time processes other than this benchmark and its children
        (the show, the senders) used meanwhile (``others_cpu_share``: of all cores)."""
        assert self._process is not None
        code = self._process.wait(timeout=timeout)
        stats: dict[str, Any] = {}
        if self.stats_path.exists():
            stats = json.loads(self.stats_path.read_text(encoding="utf-8"))
        stats["steal_ms"] = round((steal_seconds() - self._stolen) * 1000.0, 1)
        others = machine_busy_seconds() - own_cpu_seconds() - self._busy
        stats["others_cpu_s"] = round(others, 2)
        stats["others_cpu_share"] = round(
            others / (time.monotonic() - self.started_at) / (os.cpu_count() or 1), 3
        )
        stats["loadavg_start_end"] = [self._load, Path("/proc/loadavg").read_text().split()[:3]]
        stats["exit_code"] = code
        return code, stats

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def outcome_sum(counters: dict[str, int]) -> int:
    return sum(counters.get(f"osc_{outcome}", 0) for outcome in OUTCOMES)


class OscPeer:
    """A show's ``[[osc.targets]]`` peer on a free loopback port, listening on its own thread.

    Subclasses say what they keep of each message in ``heard(address, params, at)``.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.messages = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def heard(self, address: str, params: list[Any], at: float) -> None:
        """One message, received at ``at`` (``perf_counter``)."""

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            at = time.perf_counter()
            self.messages += 1
            try:
                for timed in OscPacket(data).messages:
                    self.heard(timed.message.address, list(timed.message.params), at)
            except Exception:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
