"""systemd's notify protocol against a local NOTIFY_SOCKET listener: the wire module, and a
headless show in a subprocess as a ``Type=notify`` unit with a watchdog would run it.

(systemd itself cannot be driven here: tests run without a service manager, so a listener
plays its part, checking what systemd checks: one datagram per message, newline-separated
``KEY=value`` lines, UTF-8.)
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from installation.outputs import systemd_notify
from installation.outputs.systemd_notify import from_environment, watchdog_seconds
from tests.conftest import LAVA_SHOW, ShowWriter

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="AF_UNIX sockets")


class NotifyListener:
    """Plays systemd's side: an AF_UNIX datagram socket, read on a thread (systemd reads at
    once too: the kernel queues only a few datagrams per socket)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, list[str]]] = []
        """(time.monotonic() on arrival, the datagram's lines)"""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            # What systemd insists on: UTF-8 lines of KEY=value.
            lines = data.decode("utf-8").split("\n")
            assert all("=" in line for line in lines), lines
            self.messages.append((time.monotonic(), lines))

    def lines(self) -> list[str]:
        return [line for _, lines in self.messages for line in lines]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def socket_path(tmp_path: Path) -> Iterator[Path]:
    """A socket path in tmp_path, or in a short temporary folder when tmp_path is too long
    for an AF_UNIX address (108 bytes)."""
    if len(str(tmp_path)) < 90:
        yield tmp_path / "notify"
        return
    with tempfile.TemporaryDirectory(prefix="notify") as folder:
        yield Path(folder) / "notify"


@pytest.fixture
def listener(socket_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifyListener]:
    listening = NotifyListener(str(socket_path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(socket_path))
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield listening
    listening.close()


def test_without_notify_socket_there_is_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert from_environment() is None


def test_each_message_is_one_datagram(listener: NotifyListener) -> None:
    notifier = from_environment()
    assert notifier is not None
    assert notifier.watchdog_seconds is None
    notifier.ready("scene lava, first frame on screen, ok")
    notifier.watchdog()
    notifier.watchdog("scene rainbow, 29.9 fps, error 3 s ago: gallery: disk full — 100 %")
    notifier.status("line\nbreak")
    notifier.stopping("stopping: signal SIGTERM")
    listener.wait_for(5)
    notifier.close()
    assert [lines for _, lines in listener.messages] == [
        ["READY=1", "STATUS=scene lava, first frame on screen, ok"],
        ["WATCHDOG=1"],
        ["WATCHDOG=1", "STATUS=scene rainbow, 29.9 fps, error 3 s ago: gallery: disk full — 100 %"],
        ["STATUS=line break"],  # a newline would start a new assignment
        ["STOPPING=1", "STATUS=stopping: signal SIGTERM"],
    ]
    assert notifier.sent == 5


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract namespace: Linux")
def test_abstract_namespace_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    address = f"@installation-test-{os.getpid()}-{time.monotonic_ns()}"
    listening = NotifyListener(address)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", address)
        notifier = from_environment()
        assert notifier is not None
        notifier.watchdog()
        listening.wait_for(1)
        notifier.close()
    finally:
        listening.close()
    assert listening.lines() == ["WATCHDOG=1"]


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("10000000", None, 10.0),
        ("10000000", "OURS", 10.0),
        ("10000000", "1", None),  # the watchdog is some other process's
        ("0", None, None),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_watchdog_interval(usec: str | None, pid: str | None, expected: float | None) -> None:
    environ = {} if usec is None else {"WATCHDOG_USEC": usec}
    if pid is not None:
        environ["WATCHDOG_PID"] = str(os.getpid()) if pid == "OURS" else pid
    assert watchdog_seconds(environ, os.getpid()) == expected


def test_a_socket_that_is_gone_is_logged_once_and_the_show_goes_on(
    listener: NotifyListener, socket_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    counted: list[str] = []
    notifier = from_environment(count=counted.append)
    assert notifier is not None
    listener.close()
    socket_path.unlink()
    with caplog.at_level(logging.WARNING, logger=systemd_notify.__name__):
        results = [notifier.send("WATCHDOG=1") for _ in range(5)]
    assert results == [False] * 5
    assert counted == ["systemd_notify_failed"] * 5
    assert len([r for r in caplog.records if "cannot notify" in r.getMessage()]) == 1


def test_a_full_socket_never_blocks(socket_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody reads (a stuck service manager): sends fail at once instead of waiting."""
    unread = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    unread.bind(str(socket_path))
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", str(socket_path))
        notifier = from_environment()
        assert notifier is not None
        results = [notifier.send("WATCHDOG=1") for _ in range(2000)]  # queue: a few datagrams
        notifier.close()
    finally:
        unread.close()
    assert results[0] is True
    assert results[-1] is False


def test_a_socket_that_is_not_there_at_start_means_no_notifier(
    socket_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(socket_path))
    with caplog.at_level(logging.WARNING, logger=systemd_notify.__name__):
        assert from_environment() is None
    assert "not notifying" in caplog.text


# A show as a Type=notify unit with WatchdogSec= -----------------------------------------------

WATCHDOG_USEC = 4_000_000  # the show pings every second; systemd wants one every 2 s


def test_a_show_tells_systemd_ready_alive_status_and_stopping(
    write_show: ShowWriter, socket_path: Path
) -> None:
    listening = NotifyListener(str(socket_path))
    environment = dict(
        os.environ,
        SDL_VIDEODRIVER="dummy",
        SDL_AUDIODRIVER="dummy",
        NOTIFY_SOCKET=str(socket_path),
        WATCHDOG_USEC=str(WATCHDOG_USEC),
    )
    environment.pop("WATCHDOG_PID", None)
    run = ["run", str(write_show(LAVA_SHOW)), "--headless", "--no-osc", "--seconds", "4"]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "installation", *run],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )
        listening.wait_for(1, timeout=0.5)
    finally:
        listening.close()
    assert result.returncode == 0, result.stderr
    messages = listening.messages
    lines = listening.lines()
    # READY=1 once, first: after the first frame was presented, with the scene on screen.
    assert lines.count("READY=1") == 1
    assert messages[0][1] == ["READY=1", "STATUS=scene lava lamp, first frame on screen, ok"]
    # STOPPING=1 once, last, after every ping.
    assert lines.count("STOPPING=1") == 1
    assert messages[-1][1] == ["STOPPING=1", "STATUS=stopping: 4 s elapsed"]
    # Pings from READY to STOPPING, never further apart than half of WATCHDOG_USEC.
    alive = [at for at, got in messages if "READY=1" in got or "WATCHDOG=1" in got]
    assert len(alive) >= 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(alive)]
    assert max(gaps) <= WATCHDOG_USEC / 2 / 1e6, gaps
    assert messages[-1][0] - alive[-1] <= WATCHDOG_USEC / 2 / 1e6
    # STATUS lines name the scene and the frame rate; the log says systemd is notified.
    statuses = [line for line in lines if line.startswith("STATUS=scene ")]
    assert any(" fps, ok" in line for line in statuses), statuses
    assert "systemd: notifying" in result.stderr
    assert "watchdog 4 s" in result.stderr
