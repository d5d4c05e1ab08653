"""The OSC server's zeroconf announcement, found for real by a second zeroconf instance.

mDNS runs over multicast on loopback here: the advertiser announces on 127.0.0.1 (or on every
interface for 0.0.0.0) and a browser bound to loopback resolves it, as a controller app on
the same machine would. Each registration takes zeroconf about 1.5 s (probe, announce).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from zeroconf import InterfaceChoice, IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

from installation.errors import InputError
from installation.inputs.osc import advertise as osc_advertise
from installation.inputs.osc.advertise import (
    MAX_INSTANCE_BYTES,
    SERVICE_TYPE,
    OscAdvertiser,
    instance_name,
)

RESOLVE_MS = 3000


def test_instance_names_are_one_dns_label_of_at_most_63_bytes() -> None:
    assert instance_name("Night Garden") == "Night Garden"
    assert instance_name("  Show\tv1.2\n(rehearsal)\x00 ") == "Show v1-2 (rehearsal)"
    assert instance_name("") == instance_name("\x07 \n") == "installation"
    long = instance_name("x" * 100)
    assert long == "x" * MAX_INSTANCE_BYTES
    # Cut on a character boundary: 21 three-byte characters are 63 bytes, the 22nd is dropped.
    kanji = instance_name("展" * 30)
    assert kanji == "展" * 21 and len(kanji.encode()) == 63
    assert len(instance_name("a" + "é" * 40).encode()) == 63  # 1 + 31 * 2


def test_addresses_listed_for_each_kind_of_host(monkeypatch: pytest.MonkeyPatch) -> None:
    assert osc_advertise._plan("127.0.0.1") == (["127.0.0.1"], ["127.0.0.1"])
    assert osc_advertise._plan("192.0.2.7") == (["192.0.2.7"], ["192.0.2.7"])
    addresses, interfaces = osc_advertise._plan("0.0.0.0")
    assert interfaces is InterfaceChoice.All
    assert addresses and (addresses == ["127.0.0.1"] or "127.0.0.1" not in addresses)
    monkeypatch.setattr(
        "zeroconf.get_all_addresses", lambda: ["127.0.0.1", "10.0.0.5", "192.168.1.20"]
    )
    assert osc_advertise._machine_addresses() == ["10.0.0.5", "192.168.1.20"]
    monkeypatch.setattr("zeroconf.get_all_addresses", lambda: ["127.0.0.1"])
    assert osc_advertise._machine_addresses() == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("localhost", 9000, "not a host name"),
        ("::1", 9000, "only IPv4"),
        ("127.0.0.1", 0, "pass the bound port"),
    ],
)
def test_what_cannot_be_advertised_is_an_input_error(host: str, port: int, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        OscAdvertiser().start(host, port, "show")


def test_zeroconf_failing_to_open_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_multicast(**_: object) -> Zeroconf:
        raise OSError(19, "No such device")

    monkeypatch.setattr(osc_advertise, "Zeroconf", no_multicast)
    advertiser = OscAdvertiser()
    with pytest.raises(InputError, match=r"cannot advertise OSC over zeroconf \(.*No such device"):
        advertiser.start("127.0.0.1", 9000, "show")
    advertiser.stop()  # nothing to stop: no error


@pytest.fixture
def browser() -> Iterator[Zeroconf]:
    """A second zeroconf instance on loopback: what a controller on this machine would run."""
    zeroconf = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        yield zeroconf
    finally:
        zeroconf.close()


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:8]}"


def test_a_loopback_server_is_found_resolved_and_withdrawn(
    browser: Zeroconf, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=osc_advertise.__name__)
    show = unique("Night Garden")
    full_name = f"{show}.{SERVICE_TYPE}"
    changes: list[tuple[str, ServiceStateChange]] = []
    seen = threading.Condition()

    def changed(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        with seen:
            changes.append((name, state_change))
            seen.notify_all()

    watcher = ServiceBrowser(browser, SERVICE_TYPE, handlers=[changed])
    advertiser = OscAdvertiser()
    try:
        began = time.monotonic()
        advertiser.start("127.0.0.1", 49152, show)
        assert time.monotonic() - began < 0.5  # zeroconf probes on its own thread
        assert advertiser.name == full_name and not advertiser.registered
        assert advertiser.wait_registered(10.0)

        info = browser.get_service_info(SERVICE_TYPE, full_name, timeout=RESOLVE_MS)
        assert info is not None
        assert info.port == 49152
        assert info.parsed_addresses() == ["127.0.0.1"]
        assert info.name == full_name
        with seen:
            assert seen.wait_for(lambda: (full_name, ServiceStateChange.Added) in changes, 5.0)
        assert f"OSC advertised over zeroconf as {show!r} (127.0.0.1, port 49152)" in caplog.text

        began = time.monotonic()
        advertiser.stop()
        assert time.monotonic() - began < 2.0
        with seen:  # the goodbye: browsers drop it at once, not when its TTL runs out
            assert seen.wait_for(lambda: (full_name, ServiceStateChange.Removed) in changes, 5.0)
    finally:
        advertiser.stop()
        watcher.cancel()


def test_a_server_on_every_interface_lists_the_machine_addresses(browser: Zeroconf) -> None:
    show = unique("All Interfaces")
    advertiser = OscAdvertiser()
    try:
        advertiser.start("0.0.0.0", 49153, show)
        assert advertiser.wait_registered(10.0)
        info = browser.get_service_info(SERVICE_TYPE, f"{show}.{SERVICE_TYPE}", timeout=RESOLVE_MS)
        assert info is not None and info.port == 49153
        assert sorted(info.parsed_addresses()) == osc_advertise._machine_addresses()
    finally:
        advertiser.stop()


def test_a_name_in_use_gets_a_number(browser: Zeroconf) -> None:
    """On every interface, as between two machines. (Two loopback-only announcers on one host
    do not see each other's claim: zeroconf defends a name by unicast reply to the prober's
    port 5353, which one host's kernel hands to either socket bound to it.)"""
    show = unique("Twin Show")
    first, second = OscAdvertiser(), OscAdvertiser()
    try:
        first.start("0.0.0.0", 49154, show)
        assert first.wait_registered(10.0)
        second.start("0.0.0.0", 49155, show)
        assert second.wait_registered(10.0)
        assert second.name == f"{show}-2.{SERVICE_TYPE}"
        info = browser.get_service_info(SERVICE_TYPE, f"{show}-2.{SERVICE_TYPE}", RESOLVE_MS)
        assert info is not None and info.port == 49155
    finally:
        first.stop()
        second.stop()


def test_a_failed_registration_is_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def refused(self: OscAdvertiser, zeroconf: Zeroconf, info: object) -> None:
        raise RuntimeError("probing failed")

    monkeypatch.setattr(OscAdvertiser, "_register", refused)
    advertiser = OscAdvertiser()
    advertiser.start("127.0.0.1", 49156, unique("Refused"))
    try:
        deadline = time.monotonic() + 5.0
        while "not advertised" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [r.getMessage() for r in warnings] == [
            "OSC is not advertised over zeroconf (RuntimeError: probing failed); "
            "give peers the address instead"
        ]
        assert not advertiser.registered
    finally:
        advertiser.stop()


def test_stopping_while_zeroconf_probes_announces_nothing(
    browser: Zeroconf, caplog: pytest.LogCaptureFixture
) -> None:
    show = unique("Short Lived")
    advertiser = OscAdvertiser()
    advertiser.start("127.0.0.1", 49157, show)
    began = time.monotonic()
    advertiser.stop()
    assert time.monotonic() - began < 1.0
    assert not advertiser.registered and advertiser.name is None
    assert browser.get_service_info(SERVICE_TYPE, f"{show}.{SERVICE_TYPE}", timeout=1500) is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
