"""OSC out to a real UDP listener on loopback: what lights and sound hear, answers to askers."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pythonosc.osc_packet import OscPacket

from installation.events import ImageRevealed, Pong, SceneChanged, ShowHeartbeat, StatusReport
from installation.outputs.gallery import gallery_stem
from installation.outputs.osc_out import OscSender


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    yield sock
    sock.close()


def receive(sock: socket.socket, count: int) -> list[tuple[str, list[object]]]:
    found = []
    for _ in range(count):
        (timed,) = OscPacket(sock.recv(65536)).messages
        found.append((timed.message.address, list(timed.message.params)))
    return found


def make(listener: socket.socket, counts: Counter[str]) -> OscSender:
    def count(name: str, amount: int) -> None:
        counts[name] += amount

    sender = OscSender([listener.getsockname()], {"rainbow": "CPUExecutionProvider"}, count)
    sender.start()
    return sender


def revealed(seed: int) -> ImageRevealed:
    return ImageRevealed(
        image=np.zeros((4, 4, 3), np.uint8),
        z=np.zeros(512, np.float32),
        truncation=0.5,
        seed=seed,
        model_name="rainbow",
        model_path=Path("rainbow.onnx"),
        scene="rainbow",
        trigger="osc",
        trigger_to_frame_ms=30.0,
        caption="game over",
        wall_time=1_700_000_000.25,
    )


def test_targets_hear_scenes_rainbows_and_heartbeats(listener: socket.socket) -> None:
    counts: Counter[str] = Counter()
    sender = make(listener, counts)
    sender.handle(SceneChanged("rainbow", "lamp"))
    event = revealed(7)
    sender.handle(event)
    sender.handle(ShowHeartbeat(300, 30.0, 1, 10.0, {"osc_applied": 2}))
    sender.stop()
    assert receive(listener, 4) == [
        ("/installation/scene", ["rainbow"]),
        ("/installation/rainbow/shown", [7, 0.5, f"{gallery_stem(event)}.png", "game over"]),
        ("/installation/fps", [30.0]),
        ("/installation/heartbeat", [300, 10.0, 1]),
    ]
    assert counts["osc_sent"] == 4


def test_answers_go_to_the_asker_with_the_latest_beat(listener: socket.socket) -> None:
    counts: Counter[str] = Counter()
    sender = OscSender([], {"rainbow": "CPUExecutionProvider"}, lambda n, a: counts.update({n: a}))
    sender.start()
    asker = listener.getsockname()
    sender.handle(ShowHeartbeat(90, 29.5, 0, 3.0, {"osc_applied": 2, "images_revealed": 1}))
    sender.handle(Pong(asker))
    sender.handle(StatusReport(asker, "rainbow", False))
    sender.stop()
    pong, status = receive(listener, 2)
    assert pong == ("/pong", [])
    assert status == (
        "/installation/status",
        ["rainbow", 29.5, "CPUExecutionProvider", 0, 90, "images_revealed", 1, "osc_applied", 2],
    )
    assert counts["osc_sent"] == 2  # no targets: heartbeats go nowhere


def test_an_unreachable_target_is_counted_and_the_rest_still_sent(listener: socket.socket) -> None:
    counts: Counter[str] = Counter()

    def count(name: str, amount: int) -> None:
        counts[name] += amount

    sender = OscSender([("no-such-host.invalid", 9), listener.getsockname()], {}, count)
    sender.start()
    sender.handle(SceneChanged("a", "b"))
    sender.stop()
    assert receive(listener, 1) == [("/installation/scene", ["a"])]
    assert counts["osc_send_errors"] == 1 and counts["osc_sent"] == 1
