"""The OSC address space and router on canned datagrams: no sockets (loopback tests elsewhere)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from installation.config.schema import OscBinding
from installation.events import (
    Blackout,
    GameInput,
    GameOver,
    NextScene,
    PingReceived,
    PointAt,
    PreviousScene,
    ResetScene,
    SelectScene,
    SetParameter,
    StatusRequested,
    Trigger,
)
from installation.inputs.osc.addresses import STANDARD_ADDRESSES, OscAddressSpace
from installation.inputs.osc.router import AllowList, RateLimiter
from tests.inputs.osc_helpers import (
    LOOPBACK,
    FakeFacts,
    bundle,
    make_router,
    message,
    outcome_sum,
)

SRC = "osc 127.0.0.1"


def route(data: bytes, counts: Counter[str] | None = None, **router: object) -> list[object]:
    counts = Counter() if counts is None else counts
    routed = make_router(counts, **router).datagram(data, LOOPBACK, 12.5)  # type: ignore[arg-type]
    return [item.event for item in routed]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (message("/scene", "rainbow"), SelectScene("rainbow")),
        (message("/scene", 0), SelectScene("lava lamp")),
        (message("/scene", 1.0), SelectScene("rainbow")),
        (message("/scene/next"), NextScene()),
        (message("/scene/next", 1.0), NextScene()),
        (message("/scene/previous", True), PreviousScene()),
        (message("/lava/hue", 90), SetParameter("hue_shift", 90.0, "lava_lamp", SRC)),
        (message("/lava/rate", 12.5), SetParameter("step_rate", 12.5, "lava_lamp", SRC)),
        (message("/lava/reset"), ResetScene("lava_lamp", SRC)),
        (message("/rainbow/truncation", 0.5), SetParameter("truncation", 0.5, "rainbow", SRC)),
        (message("/rainbow/walk", 2), SetParameter("walk_speed", 2.0, "rainbow", SRC)),
        (message("/rainbow/latent", 0.25, 1), PointAt(0.25, 1.0, "rainbow", SRC)),
        (message("/show/blackout", 1), Blackout(True)),
        (message("/show/blackout", False), Blackout(False)),
        (message("/show/status"), StatusRequested(LOOPBACK)),
        (message("/show/status", 9001), StatusRequested(("127.0.0.1", 9001))),
        (message("/ping"), PingReceived(LOOPBACK)),
        (message("/game/over", "Team blue", 42, 7), GameOver("Team blue", 42, 7)),
        (message("/game/over", " ", 1.5), GameOver("nobody", 1.5)),
    ],
)  # fmt: skip
def test_each_standard_address_makes_its_event(data: bytes, expected: object) -> None:
    counts: Counter[str] = Counter()
    assert route(data, counts) == [expected]
    assert counts == Counter(osc_datagrams=1, osc_messages=1, osc_applied=1)


def test_the_stage_games_addresses() -> None:
    facts = FakeFacts(("tictactoe", "rainbow"))
    counts: Counter[str] = Counter()
    assert route(message("/game/move", 4), counts, facts=facts) == [GameInput("cell", 4, SRC)]
    assert route(message("/game/new"), counts, facts=facts) == [GameInput("new", None, SRC)]
    assert route(message("/game/move", 9), counts, facts=facts) == []  # cells are 0..8
    assert route(message("/game/move", 4), counts) == []  # no game in this show
    assert counts["osc_applied"] == 2 and counts["osc_rejected"] == 2


def test_every_standard_address_is_covered_by_the_table_above() -> None:
    paths = {address.path for address in STANDARD_ADDRESSES}
    assert paths == {
        "/scene", "/scene/next", "/scene/previous", "/lava/rate", "/lava/hue",
        "/lava/saturation", "/lava/brightness", "/lava/reset", "/rainbow/trigger",
        "/rainbow/truncation", "/rainbow/walk", "/rainbow/latent", "/show/blackout",
        "/show/status", "/ping", "/game/move", "/game/new", "/game/over",
    }  # fmt: skip


def test_rainbow_trigger_takes_an_optional_seed_and_caption() -> None:
    (plain,) = route(message("/rainbow/trigger"))
    (seeded,) = route(message("/rainbow/trigger", 7))
    (as_float,) = route(message("/rainbow/trigger", 7.0, "game over"))
    (nil_seed,) = route(message("/rainbow/trigger", None, "hello"))
    assert isinstance(plain, Trigger) and plain.seed is None and plain.target == "rainbow"
    assert isinstance(seeded, Trigger) and seeded.seed == 7 and seeded.caption is None
    assert isinstance(as_float, Trigger) and (as_float.seed, as_float.caption) == (7, "game over")
    assert isinstance(nil_seed, Trigger) and (nil_seed.seed, nil_seed.caption) == (None, "hello")
    assert seeded.at == 12.5  # the datagram's arrival: latency includes the queue


def test_a_button_release_is_valid_and_does_nothing() -> None:
    counts: Counter[str] = Counter()
    assert route(message("/scene/next", 0.0), counts) == []
    assert route(message("/lava/reset", False), counts) == []
    assert counts["osc_applied"] == 2 and counts["osc_rejected"] == 0


@pytest.mark.parametrize(
    "data",
    [
        message("/nope"),
        message("/lava/hue"),  # missing value
        message("/lava/hue", 1.0, 2.0),  # too many
        message("/lava/hue", "red"),  # wrong type
        message("/lava/hue", True),  # a bool is not a number
        message("/lava/hue", 500.0),  # out of range (the scene's settings say)
        message("/lava/hue", float("inf")),
        message("/lava/hue", None),  # nil where a value is required
        message("/rainbow/trigger", 7.5),  # a seed is whole
        message("/rainbow/trigger", -1),
        message("/rainbow/trigger", 7, 8),  # caption must be a string
        message("/rainbow/trigger", 7, "x" * 501),
        message("/rainbow/latent", 0.5),
        message("/rainbow/latent", 0.5, 1.5),
        message("/scene", "nowhere"),
        message("/scene", 2),
        message("/show/blackout", 2),
        message("/show/blackout"),
        message("/ping", 70000),
        message("/ping", b"blob"),
    ],
)
def test_bad_messages_are_rejected_and_counted(data: bytes) -> None:
    counts: Counter[str] = Counter()
    assert route(data, counts) == []
    assert counts == Counter(osc_datagrams=1, osc_messages=1, osc_rejected=1)


def test_addresses_of_scenes_the_show_lacks_are_rejected() -> None:
    counts: Counter[str] = Counter()
    facts = FakeFacts(["rainbow"])
    assert route(message("/lava/hue", 10.0), counts, facts=facts) == []
    assert route(message("/rainbow/trigger", 3), counts, facts=FakeFacts(["lava lamp"])) == []
    assert counts["osc_rejected"] == 2


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"/lava",
        b"/a\x00\x00,s\x00\x00abc",
        b"/a\x00\x00,i\x00\x00\x01",
        b"#bundle\x00\x01",
    ],
)
def test_malformed_datagrams_are_counted(data: bytes) -> None:
    counts: Counter[str] = Counter()
    assert route(data, counts) == []
    assert counts == Counter(osc_datagrams=1, osc_malformed=1)


def test_senders_off_the_allow_list_are_denied_before_decoding() -> None:
    counts: Counter[str] = Counter()
    router = make_router(counts, allow=["192.168.1.0/24"])
    assert router.datagram(message("/ping"), ("127.0.0.1", 1), 0.0) == []
    assert router.datagram(b"garbage", ("10.0.0.1", 1), 0.0) == []  # denied, not malformed
    assert len(router.datagram(message("/ping"), ("192.168.1.20", 1), 0.0)) == 1
    assert counts == Counter(osc_datagrams=3, osc_denied=2, osc_messages=1, osc_applied=1)


def test_allow_list_reads_mapped_ipv6_and_refuses_nonsense() -> None:
    allow = AllowList(["127.0.0.0/8", "::1"])
    assert allow.allows("::ffff:127.0.0.1") and allow.allows("::1") and allow.allows("127.9.9.9")
    assert not allow.allows("10.1.2.3") and not allow.allows("not an address")
    assert not AllowList([]).allows("127.0.0.1")


def test_rate_limit_is_per_sender_host_and_refills() -> None:
    limiter = RateLimiter(rate=10.0, burst=3)
    assert [limiter.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", 0.0)  # another host has its own bucket
    assert not limiter.allow("a", 0.05)  # half a token
    assert limiter.allow("a", 0.2)


def test_rate_limiter_remembers_a_bounded_number_of_senders() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_senders=8)
    for host in range(100):
        limiter.allow(f"10.0.0.{host}", 0.0)
    assert len(limiter) == 8


def test_a_flood_from_one_host_is_rate_limited_and_counted() -> None:
    counts: Counter[str] = Counter()
    now = [0.0]
    router = make_router(counts, rate=100.0, burst=10, clock=lambda: now[0])
    for _ in range(50):
        router.datagram(message("/lava/hue", 1.0), LOOPBACK, 0.0)
    assert counts["osc_applied"] == 10 and counts["osc_rate_limited"] == 40
    now[0] = 0.1  # 10 more tokens
    for _ in range(12):
        router.datagram(message("/lava/hue", 1.0), LOOPBACK, 0.0)
    assert counts["osc_applied"] == 20 and counts["osc_rate_limited"] == 42
    assert outcome_sum(counts) == counts["osc_datagrams"] == 62


def test_bundles_apply_each_message_and_mixed_ones_count_as_rejected() -> None:
    counts: Counter[str] = Counter()
    events = route(bundle(message("/scene/next"), message("/lava/hue", 5.0)), counts)
    assert events == [NextScene(), SetParameter("hue_shift", 5.0, "lava_lamp", SRC)]
    assert counts == Counter(osc_datagrams=1, osc_messages=2, osc_applied=1)
    events = route(bundle(message("/nope"), message("/scene/next")), counts)
    assert events == [NextScene()]  # the valid message of a mixed bundle still applies
    assert counts["osc_rejected"] == 1 and outcome_sum(counts) == counts["osc_datagrams"] == 2


def test_future_timetags_are_scheduled_and_far_ones_refused() -> None:
    counts: Counter[str] = Counter()
    wall = time.time() + 100.0  # python-osc compares timetags with the real time itself
    router = make_router(counts, wall_clock=lambda: wall)
    soon = router.datagram(bundle(message("/scene/next"), timetag=wall + 2.0), LOOPBACK, 0.0)
    assert [item.due for item in soon] == [pytest.approx(wall + 2.0)]
    past = router.datagram(bundle(message("/scene/next"), timetag=wall - 5.0), LOOPBACK, 0.0)
    assert [item.due for item in past] == [0.0]  # late: now
    far = router.datagram(bundle(message("/scene/next"), timetag=wall + 3600.0), LOOPBACK, 0.0)
    # (a timetag before python-osc's "now" becomes "now", which is before ``wall`` here)
    assert far == [] and counts["osc_rejected"] == 1


def test_continuous_addresses_carry_a_coalescing_key() -> None:
    counts: Counter[str] = Counter()
    router = make_router(counts)
    (fader,) = router.datagram(message("/lava/hue", 1.0), LOOPBACK, 0.0)
    (xy,) = router.datagram(message("/rainbow/latent", 0.1, 0.2), LOOPBACK, 0.0)
    (trigger,) = router.datagram(message("/rainbow/trigger"), LOOPBACK, 0.0)
    assert (fader.key, xy.key, trigger.key) == ("/lava/hue", "/rainbow/latent", None)


def test_bindings_rename_scale_offset_and_disable() -> None:
    bindings = {
        "/1/fader1": OscBinding(to="/lava/hue", scale=360.0, offset=-180.0),
        "/1/push1": OscBinding(to="/rainbow/trigger"),
        "/rainbow/trigger": OscBinding(to="none"),
    }
    counts: Counter[str] = Counter()
    (hue,) = route(message("/1/fader1", 0.75), counts, bindings=bindings)
    assert hue == SetParameter("hue_shift", 90.0, "lava_lamp", SRC)
    (trigger,) = route(message("/1/push1", 3), counts, bindings=bindings)
    assert isinstance(trigger, Trigger) and trigger.seed == 3  # ints are not scaled
    assert route(message("/rainbow/trigger"), counts, bindings=bindings) == []  # renamed away
    assert route(message("/1/fader1", 2.0), counts, bindings=bindings) == []  # 540: out of range
    assert counts["osc_applied"] == 2 and counts["osc_rejected"] == 2


def test_binding_problems_name_the_address_and_suggest() -> None:
    space = OscAddressSpace({"/x": OscBinding(to="/lava/heu"), "y": OscBinding(to="/ping")})
    problems = space.problems()
    assert any(
        "'/lava/heu' is not a standard address. Did you mean '/lava/hue'?" in p for p in problems
    )
    assert any("'y' is not an OSC address" in p for p in problems)
    assert OscAddressSpace({"/x": OscBinding(to="none")}).problems() == []


def test_refusals_are_logged_once_per_address_and_reason(caplog: pytest.LogCaptureFixture) -> None:
    counts: Counter[str] = Counter()
    router = make_router(counts)
    with caplog.at_level("WARNING", logger="installation.inputs.osc.router"):
        for _ in range(100):
            router.datagram(message("/lava/hue", 999.0), LOOPBACK, 0.0)
            router.datagram(message("/nope"), LOOPBACK, 0.0)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "refused /lava/hue 999.0 from 127.0.0.1:50000: hue_shift out of range" in lines[0]
    assert counts["osc_rejected"] == 200


def test_a_flood_of_distinct_bad_addresses_logs_a_bounded_number_of_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counts: Counter[str] = Counter()
    router = make_router(counts)
    with caplog.at_level("WARNING", logger="installation.inputs.osc.router"):
        for index in range(1000):
            router.datagram(message(f"/random/{index}"), LOOPBACK, 0.0)
    assert len(caplog.records) <= 30
    assert counts["osc_rejected"] == 1000


def test_last_message_is_remembered_for_the_overlay() -> None:
    router = make_router(Counter())
    router.datagram(message("/lava/hue", 12.0), LOOPBACK, 0.0)
    assert router.last_message == ("127.0.0.1", "/lava/hue 12.0")


def test_python_osc_s_warning_about_unknown_type_tags_is_kept_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counts: Counter[str] = Counter()
    router = make_router(counts)
    with caplog.at_level("WARNING"):
        for _ in range(10):
            router.datagram(b"/lava/hue\x00\x00\x00,q\x00\x00", LOOPBACK, 0.0)
    assert not [r for r in caplog.records if "Unhandled parameter type" in r.getMessage()]
    assert counts["osc_rejected"] == 10  # decoded with no value: /lava/hue needs one


def test_a_button_binding_drops_the_press_value_and_ignores_the_release() -> None:
    bindings = {"/1/push1": OscBinding(to="/rainbow/trigger", button=True)}
    counts: Counter[str] = Counter()
    (press,) = route(message("/1/push1", 1.0), counts, bindings=bindings)
    assert isinstance(press, Trigger) and press.seed is None  # not read as seed 1
    assert route(message("/1/push1", 0.0), counts, bindings=bindings) == []
    assert counts["osc_applied"] == 2 and counts["osc_rejected"] == 0


def test_large_seeds_stay_exact() -> None:
    for seed in (2**53 + 1, 2**62 + 1, 2**63 - 1):
        (trigger,) = route(message("/rainbow/trigger", seed))
        assert isinstance(trigger, Trigger) and trigger.seed == seed
