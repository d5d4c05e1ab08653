"""The OSC server over loopback: real python-osc and liblo clients, port 0, polled per frame."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from pythonosc.udp_client import SimpleUDPClient

from installation.config.schema import OscSection
from installation.errors import InputError
from installation.events import Event, InputReceived, NextScene, SetParameter, Trigger
from installation.inputs.osc.server import OscInput
from tests.inputs.osc_helpers import bundle, make_router, message


class Posted:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Event]) -> list[Event]:
        return [event for event in self.events if isinstance(event, kind)]


@pytest.fixture
def server() -> Iterator[tuple[OscInput, Posted, Counter[str]]]:
    counts: Counter[str] = Counter()
    source = OscInput(OscSection(port=0), make_router(counts))
    posted = Posted()
    source.start(posted)
    yield source, posted, counts
    source.stop()


def wait_for(source: OscInput, datagrams: int, timeout: float = 5.0) -> None:
    """Until the server thread has handled ``datagrams`` (their events wait for a poll)."""
    deadline = time.monotonic() + timeout
    while source.handled < datagrams and time.monotonic() < deadline:
        time.sleep(0.005)
    assert source.handled >= datagrams, f"only {source.handled} arrived"


def test_python_osc_client_reaches_the_show_and_a_poll_posts_the_events(
    server: tuple[OscInput, Posted, Counter[str]],
) -> None:
    source, posted, counts = server
    host, port = source.address
    assert port != 0
    client = SimpleUDPClient(host, port)
    client.send_message("/rainbow/trigger", [7, "from a test"])
    client.send_message("/scene/next", [])
    wait_for(source, 2)
    assert posted.events == []  # the server thread only translates: nothing posted yet
    source.poll(0.0)
    (trigger,) = posted.of(Trigger)
    assert isinstance(trigger, Trigger) and (trigger.seed, trigger.caption) == (7, "from a test")
    assert posted.of(NextScene) == [NextScene()]
    (last,) = posted.of(InputReceived)
    assert last == InputReceived("osc 127.0.0.1", "/scene/next")
    assert counts["osc_applied"] == 2


def test_continuous_values_coalesce_to_the_newest_per_frame(
    server: tuple[OscInput, Posted, Counter[str]],
) -> None:
    source, posted, counts = server
    client = SimpleUDPClient(*source.address)
    for value in range(100):
        client.send_message("/lava/hue", float(value))
    client.send_message("/scene/next", 1.0)
    client.send_message("/scene/next", 1.0)
    wait_for(source, 102)
    source.poll(0.0)
    assert posted.of(SetParameter) == [
        SetParameter("hue_shift", 99.0, "lava_lamp", "osc 127.0.0.1")
    ]
    assert posted.of(NextScene) == [NextScene(), NextScene()]  # discrete events all arrive
    assert counts["osc_applied"] == 102
    source.poll(0.0)
    assert len(posted.of(SetParameter)) == 1  # nothing twice


def test_a_bundle_with_a_future_timetag_is_posted_when_it_is_due(
    server: tuple[OscInput, Posted, Counter[str]],
) -> None:
    source, posted, _ = server
    client = SimpleUDPClient(*source.address)
    client._sock.sendto(bundle(message("/scene/next"), timetag=time.time() + 0.3), source.address)
    wait_for(source, 1)
    source.poll(0.0)
    assert posted.of(NextScene) == []
    time.sleep(0.35)
    source.poll(0.0)
    assert posted.of(NextScene) == [NextScene()]


def test_malformed_datagrams_do_not_stop_the_server(
    server: tuple[OscInput, Posted, Counter[str]],
) -> None:
    source, _, counts = server
    client = SimpleUDPClient(*source.address)
    for data in (b"", b"\xff" * 100, b"#bundle\x00", b"/x\x00\x00,s\x00\x00abc"):
        client._sock.sendto(data, source.address)
    client.send_message("/ping", [])
    wait_for(source, 5)
    source.poll(0.0)
    assert counts["osc_malformed"] == 4 and counts["osc_applied"] == 1


def test_liblo_oscsend_is_understood(server: tuple[OscInput, Posted, Counter[str]]) -> None:
    """An independent OSC implementation (liblo, C) sends; .ci/run installs liblo-tools."""
    if shutil.which("oscsend") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have liblo-tools (oscsend): .ci/run installs it")
        pytest.skip("liblo-tools (oscsend) not installed: apt-get install liblo-tools")
    source, posted, counts = server
    host, port = source.address
    subprocess.run(["oscsend", host, str(port), "/rainbow/trigger", "is", "7", "liblo"], check=True)
    subprocess.run(["oscsend", host, str(port), "/lava/hue", "f", "45.5"], check=True)
    subprocess.run(["oscsend", host, str(port), "/show/blackout", "T"], check=True)
    wait_for(source, 3)
    source.poll(0.0)
    (trigger,) = posted.of(Trigger)
    assert isinstance(trigger, Trigger) and (trigger.seed, trigger.caption) == (7, "liblo")
    assert posted.of(SetParameter) == [
        SetParameter("hue_shift", 45.5, "lava_lamp", "osc 127.0.0.1")
    ]
    assert counts["osc_applied"] == 3


def test_a_taken_port_is_one_clear_input_error(
    server: tuple[OscInput, Posted, Counter[str]],
) -> None:
    source, _, _ = server
    second = OscInput(OscSection(port=source.address[1]), make_router(Counter()))
    with pytest.raises(InputError, match=r"cannot listen for OSC on 127\.0\.0\.1:.*--osc-port"):
        second.start(lambda event: None)


def test_stop_frees_the_port_and_twice_is_fine() -> None:
    source = OscInput(OscSection(port=0), make_router(Counter()))
    source.start(lambda event: None)
    port = source.address[1]
    source.stop()
    source.stop()
    again = OscInput(OscSection(port=port), make_router(Counter()))
    again.start(lambda event: None)  # the port is free again
    again.stop()


def test_listening_on_the_lan_with_a_loopback_allow_list_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = OscInput(OscSection(host="0.0.0.0", port=0), make_router(Counter()))
    with caplog.at_level("WARNING"):
        source.start(lambda event: None)
    source.stop()
    assert "allow lets in loopback only: datagrams from the LAN are dropped" in caplog.text


def test_the_backlog_is_bounded_while_the_loop_does_not_poll() -> None:
    counts: Counter[str] = Counter()
    source = OscInput(OscSection(port=0, max_scheduled=2), make_router(counts))
    posted = Posted()
    source.start(posted)
    try:
        for _ in range(4200):  # discrete events: none coalesces
            source._received(message("/scene/next"), ("127.0.0.1", 1))
        for _ in range(3):
            source._received(bundle(message("/ping"), timetag=time.time() + 30), ("127.0.0.1", 1))
        source.poll(0.0)
    finally:
        source.stop()
    assert len(posted.of(NextScene)) == 4096
    assert counts["osc_backlog_dropped"] == 4200 - 4096 + 1


def test_a_bundle_larger_than_8_kib_arrives_whole(
    server: tuple[OscInput, Posted, Counter[str]],
) -> None:
    source, posted, counts = server
    data = bundle(*[message("/scene/next") for _ in range(600)])
    assert len(data) > 8192
    SimpleUDPClient(*source.address)._sock.sendto(data, source.address)
    wait_for(source, 1)
    source.poll(0.0)
    assert counts["osc_messages"] == 600 and len(posted.of(NextScene)) == 600


def test_a_button_release_still_shows_as_the_last_input(
    server: tuple[OscInput, Posted, Counter[str]],
) -> None:
    source, posted, _ = server
    client = SimpleUDPClient(*source.address)
    client.send_message("/scene/next", 0.0)  # a release: valid, no event
    client._sock.sendto(b"junk", source.address)  # malformed: never the last input
    wait_for(source, 2)
    source.poll(0.0)
    assert posted.events == [InputReceived("osc 127.0.0.1", "/scene/next 0.0")]
