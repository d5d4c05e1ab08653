"""Random and mutated datagrams never raise out of the router, and every one is counted once.

The 100,000-datagram run against a live show is ``benchmarks/osc_fuzz.py``; this is the same
idea at test size, on the pure router, so it runs in seconds.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installation.events import SetParameter
from tests.inputs.osc_helpers import LOOPBACK, bundle, make_router, message, outcome_sum

VALID = [
    message("/lava/hue", 10.0),
    message("/rainbow/trigger", 7, "caption"),
    message("/rainbow/latent", 0.2, 0.8),
    message("/show/status", 9001),
    bundle(message("/scene/next"), message("/lava/brightness", 1.5)),
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid datagram with bytes flipped, cut, inserted or repeated."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            data += data[position:]
    return bytes(data)


datagrams = st.one_of(
    st.binary(max_size=256),
    mutated(),
    st.builds(lambda tail: b"#bundle\x00" + tail, st.binary(max_size=64)),
    st.builds(lambda tail: b"/lava/hue\x00\x00\x00," + tail, st.binary(max_size=32)),
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(datagrams, min_size=1, max_size=5))
def test_fuzzed_datagrams_are_counted_once_and_never_raise(batch: list[bytes]) -> None:
    counts: Counter[str] = Counter()
    router = make_router(counts)
    for data in batch:
        router.datagram(data, LOOPBACK, 0.0)
    assert counts["osc_datagrams"] == len(batch) == outcome_sum(counts)
    # The router still applies a valid message afterwards.
    (routed,) = router.datagram(message("/lava/hue", 42.0), LOOPBACK, 0.0)
    assert routed.event == SetParameter("hue_shift", 42.0, "lava_lamp", "osc 127.0.0.1")
