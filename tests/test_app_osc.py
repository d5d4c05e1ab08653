"""A live headless show driven over OSC on loopback: a real python-osc client in, OSC out to a
real UDP listener, the gallery on disk. Every datagram is accounted for."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient

from installation.app import RunOptions, run_show
from installation.commands.rainbow import StillRequest, render_still
from installation.scenes.registry import load_show
from tests.conftest import ShowWriter
from tests.inputs.osc_helpers import outcome_sum

SHOW = """
[show]
fps = 30
crossfade_seconds = 0.2
[gallery]
folder = "gallery"
[osc]
port = {port}
heartbeat_seconds = 0.5
[[osc.targets]]
host = "127.0.0.1"
port = {target}
[models.lava]
path = "{models}/lava.onnx"
kind = "lava_lamp"
[models.gen]
path = "{models}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "lava_lamp"
model = "lava"
name = "lamp"
[[scenes]]
kind = "rainbow"
model = "gen"
reveal_seconds = 0.1
hold_seconds = 5
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def messages(sock: socket.socket) -> list[tuple[str, list[object]]]:
    """Everything that has arrived on ``sock``, decoded."""
    found: list[tuple[str, list[object]]] = []
    sock.settimeout(0.05)
    while True:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return found
        for timed in OscPacket(data).messages:
            found.append((timed.message.address, list(timed.message.params)))


def test_a_show_driven_over_osc(write_show: ShowWriter, tmp_path: Path, model_dir: Path) -> None:
    port = free_udp_port()
    target = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target.bind(("127.0.0.1", 0))
    text = SHOW.replace("{port}", str(port)).replace("{target}", str(target.getsockname()[1]))
    config = load_show(write_show(text))
    client = SimpleUDPClient("127.0.0.1", port)
    sent = 0
    answers: list[tuple[str, list[object]]] = []

    def perform() -> None:
        nonlocal sent
        time.sleep(1.0)  # the show is up and drawing by now
        script: list[tuple[str, list[object]]] = [
            ("/ping", []),
            ("/lava/hue", [45.0]),
            ("/lava/hue", [900.0]),  # out of range: rejected
            ("/rainbow/trigger", [7, "hello"]),
            ("/nowhere", []),
        ]
        for address, values in script:
            client.send_message(address, values)
            sent += 1
        client._sock.sendto(b"not osc at all", ("127.0.0.1", port))
        sent += 1
        time.sleep(1.0)
        client.send_message("/show/status", [])
        sent += 1
        time.sleep(0.5)
        answers.extend(messages(client._sock))

    performer = threading.Thread(target=perform)
    performer.start()
    stats = run_show(config, RunOptions(headless=True, seconds=3.5))
    performer.join()
    counters = stats.counters()
    assert counters["osc_datagrams"] == sent == outcome_sum(counters)  # type: ignore[arg-type]
    assert counters["osc_applied"] == 4 and counters["osc_rejected"] == 2
    assert counters["osc_malformed"] == 1
    assert counters["images_revealed"] == 1 and counters["parameters_changed"] == 1
    assert (
        counters["osc_sent"] > 0 and stats.as_dict()["timings_ms"]["trigger_to_frame"]["count"] == 1
    )

    # Answers come back to the asker; /pong is sent by the frame loop.
    assert ("/pong", []) in answers
    (status,) = [values for address, values in answers if address == "/installation/status"]
    assert status[0] == "rainbow" and status[2] == "CPUExecutionProvider"  # the trigger cut to it

    # The rainbow of seed 7 is exactly `installation rainbow --seed 7`'s, and saved as seed 7.
    (record_path,) = (tmp_path / "gallery").glob("*.json")
    record = json.loads(record_path.read_text())
    assert (record["seed"], record["caption"], record["trigger"]) == (7, "hello", "osc")
    still = tmp_path / "still.png"
    render_still(StillRequest(output=still, model=model_dir / "gen64.onnx", seed=7))
    shown = np.asarray(PILImage.open(record_path.with_suffix(".png")))
    np.testing.assert_array_equal(shown, np.asarray(PILImage.open(still)))

    # Lights and sound heard the show: heartbeats, fps, the rainbow with its gallery file.
    heard = messages(target)
    addresses = {address for address, _ in heard}
    assert {
        "/installation/heartbeat",
        "/installation/fps",
        "/installation/rainbow/shown",
    } <= addresses
    (shown_values,) = [v for a, v in heard if a == "/installation/rainbow/shown"]
    assert (
        shown_values[0] == 7 and shown_values[2] == record["image"] and shown_values[3] == "hello"
    )
    target.close()


def test_no_osc_option_runs_without_a_server(write_show: ShowWriter) -> None:
    port = free_udp_port()
    config = load_show(write_show(SHOW.replace("{port}", str(port)).replace("{target}", "9")))
    stats = run_show(config, RunOptions(headless=True, seconds=0.5, osc=False))
    assert "osc_datagrams" not in stats.counters() and "osc_sent" not in stats.counters()


def test_the_show_announces_its_osc_server_over_zeroconf(write_show: ShowWriter) -> None:
    from zeroconf import IPVersion, Zeroconf

    from installation.inputs.osc.advertise import SERVICE_TYPE

    port = free_udp_port()
    name = f"Advertised show {port}"
    text = SHOW.replace("{port}", str(port)).replace("{target}", "9")
    text = text.replace("[osc]\n", "[osc]\nadvertise = true\n").replace(
        "[show]\n", f'[show]\nname = "{name}"\n'
    )
    config = load_show(write_show(text))
    found: list[object] = []
    browser = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)

    def look() -> None:
        time.sleep(2.5)  # zeroconf probes and announces for about 1.5 s
        found.append(browser.get_service_info(SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", 3000))

    looker = threading.Thread(target=look)
    looker.start()
    try:
        run_show(config, RunOptions(headless=True, seconds=6.0))
    finally:
        looker.join()
        browser.close()
    (info,) = found
    assert info is not None and getattr(info, "port", None) == port


def test_a_bad_hotkey_stops_the_show_before_the_window_opens(write_show: ShowWriter) -> None:
    from installation.errors import ConfigError

    text = SHOW.replace("{port}", "0").replace("{target}", "9")
    text += '\n[controls]\nhotkeys = { "<ctrl>+<bogus>" = "next_scene" }\n'
    config = load_show(write_show(text))
    with pytest.raises(ConfigError, match="is not a hotkey"):
        run_show(config, RunOptions(headless=True, seconds=1.0))


def wait_for_show(port: int, timeout: float = 20.0) -> SimpleUDPClient:
    """A client of the show on ``port`` once its frame loop answers ``/ping`` (a datagram sent
    before the server is up is lost, and start-up takes longer on a busy machine)."""
    client = SimpleUDPClient("127.0.0.1", port)
    client._sock.settimeout(0.1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.send_message("/ping", [])
        try:
            data = client._sock.recv(65536)
        except (TimeoutError, ConnectionRefusedError):
            continue
        if any(timed.message.address == "/pong" for timed in OscPacket(data).messages):
            client._sock.settimeout(None)
            return client
    raise AssertionError(f"no show answered /ping on port {port} in {timeout:g} s")
