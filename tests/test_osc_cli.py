"""``installation osc send | monitor`` and ``run --osc-port`` end to end, in subprocesses."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

from tests.conftest import LAVA_SHOW, ShowWriter
from tests.test_app_osc import free_udp_port
from tests.test_cli import assert_user_error, run_cli


def test_send_reaches_monitor_with_types_kept() -> None:
    port = free_udp_port()
    monitor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "installation",
            "osc",
            "monitor",
            "--port",
            str(port),
            "--count",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert monitor.stdout is not None
        assert "listening on 127.0.0.1:" in monitor.stdout.readline()  # it is bound now
        sent = run_cli("osc", "send", "/rainbow/trigger", "7", "s:7", "--port", str(port))
        assert sent.returncode == 0, sent.stderr
        assert "sent /rainbow/trigger 7 s:7" in sent.stdout
        run_cli("osc", "send", "/show/blackout", "true", "--port", str(port))
        out, _ = monitor.communicate(timeout=30)
    finally:
        monitor.kill()
    assert monitor.returncode == 0
    assert "/rainbow/trigger 7 '7'" in out and "/show/blackout True" in out


def test_ping_answered_by_a_running_show(write_show: ShowWriter) -> None:
    port = free_udp_port()
    show = write_show(LAVA_SHOW)
    process = subprocess.Popen(
        [sys.executable, "-m", "installation", "run", str(show), "--headless",
         "--seconds", "20", "--osc-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        answer = None
        while time.monotonic() < deadline:
            answer = run_cli("osc", "send", "/ping", "--port", str(port), "--wait", "0.5")
            if answer.returncode == 0:
                break
        assert answer is not None and answer.returncode == 0, answer.stderr if answer else ""
        assert "/pong" in answer.stdout
        status = run_cli("osc", "send", "/show/status", "--port", str(port))
        assert status.returncode == 0, status.stderr
        # LAVA_SHOW plays the lamp for 1 s, then the latent walk: either may be on screen.
        assert re.search(r"/installation/status '(lava lamp|latent walk)' ", status.stdout)
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_ping_with_nobody_listening_says_so_and_exits_1() -> None:
    result = run_cli("osc", "send", "/ping", "--port", str(free_udp_port()), "--wait", "0.3")
    assert result.returncode == 1
    assert "no /pong within 0.3 s: is the show running with OSC on 127.0.0.1:" in result.stderr


def test_send_refuses_a_non_address_and_notes_a_non_standard_one() -> None:
    assert_user_error(run_cli("osc", "send", "rainbow/trigger"), "is not an OSC address")
    result = run_cli("osc", "send", "/my/fader", "0.5", "--port", str(free_udp_port()))
    assert result.returncode == 0 and "not a standard address" in result.stderr


def test_monitor_on_a_taken_port_is_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert_user_error(
            run_cli("osc", "monitor", "--port", str(port), "--seconds", "1"),
            f"cannot listen on 127.0.0.1:{port}",
        )


def test_run_rejects_a_bad_osc_port() -> None:
    result = run_cli("run", "--osc-port", "70000")
    assert result.returncode == 2 and "a port is 0..65535 (got 70000)" in result.stderr


def test_doctor_says_where_the_show_listens_and_when_the_port_is_taken(
    write_show: ShowWriter,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        text = (
            LAVA_SHOW + f'\n[osc]\nport = {port}\n[[osc.targets]]\nhost = "127.0.0.1"\nport = 9\n'
        )
        result = run_cli("doctor", str(write_show(text)))
    assert result.returncode == 0, result.stderr
    assert f"127.0.0.1:{port}, senders allowed: 127.0.0.0/8, ::1" in result.stdout
    assert "NOT free" in result.stdout and "the show would run without OSC" in result.stdout
    assert "127.0.0.1:9 (resolves)" in result.stdout
