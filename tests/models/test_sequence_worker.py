from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from installation.models.sequence_worker import InlineSequence, ThreadedSequence

TIMEOUT = 10.0


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll until ``condition`` holds; a generous timeout, never a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.001)
    return condition()


def square(index: int) -> int:
    return index * index + 1


class Recorder:
    """A producer that records the indices it was asked for, optionally gated by an event."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[int] = []
        self.gate = gate
        self.lock = threading.Lock()

    def __call__(self, index: int) -> int:
        if self.gate is not None:
            self.gate.wait(TIMEOUT)
        with self.lock:
            self.calls.append(index)
        return square(index)


@pytest.fixture
def sequences() -> Iterator[list[ThreadedSequence[int]]]:
    """Threaded sequences to stop after the test, whatever happens."""
    made: list[ThreadedSequence[int]] = []
    yield made
    for sequence in made:
        sequence.stop()


def threaded(
    made: list[ThreadedSequence[int]], produce: Callable[[int], int], **kwargs: float
) -> ThreadedSequence[int]:
    sequence: ThreadedSequence[int] = ThreadedSequence(produce, "test", **kwargs)  # type: ignore[arg-type]
    made.append(sequence)
    return sequence


# Inline ---------------------------------------------------------------------------------


def test_inline_computes_in_order_on_demand() -> None:
    recorder = Recorder()
    sequence = InlineSequence(recorder)
    assert sequence.newest() == -1
    assert sequence.get(3) == square(3)
    assert recorder.calls == [0, 1, 2, 3]
    assert sequence.newest() == 3
    assert sequence.get(2) == square(2)
    assert recorder.calls == [0, 1, 2, 3]  # nothing recomputed
    assert sequence.failure is None


def test_inline_forgets_items_older_than_keep() -> None:
    sequence = InlineSequence(square, keep=2)
    sequence.want(5)
    assert sequence.get(5) == square(5)
    assert sequence.get(4) == square(4)
    assert sequence.get(3) is None


# Threaded -------------------------------------------------------------------------------


def test_threaded_and_inline_yield_identical_items(sequences: list[ThreadedSequence[int]]) -> None:
    inline = InlineSequence(square, keep=100)
    worker = threaded(sequences, square, lookahead=2)
    worker.start()
    for index in range(12):
        worker.want(index)
        assert wait_for(lambda i=index: worker.get(i) is not None)  # type: ignore[misc]
        assert worker.get(index) == inline.get(index)


def test_get_never_blocks_and_is_none_before_computed(
    sequences: list[ThreadedSequence[int]],
) -> None:
    gate = threading.Event()
    recorder = Recorder(gate)
    worker = threaded(sequences, recorder, lookahead=2)
    worker.start()
    worker.want(1)
    # The producer is stuck: get answers at once with None.
    for index in range(6):
        assert worker.get(index) is None
    assert worker.newest() == -1
    gate.set()
    assert wait_for(lambda: worker.get(0) is not None)
    assert worker.get(0) == square(0)
    assert worker.get(100) is None


def test_worker_stays_at_most_lookahead_ahead(sequences: list[ThreadedSequence[int]]) -> None:
    recorder = Recorder()
    worker = threaded(sequences, recorder, lookahead=2)
    worker.start()
    worker.want(0)
    assert wait_for(lambda: worker.newest() == 2)
    # Give it every chance to run further; it must not.
    time.sleep(0.05)
    assert worker.newest() == 2
    assert recorder.calls == [0, 1, 2]
    worker.want(5)
    assert wait_for(lambda: worker.newest() == 7)
    time.sleep(0.05)
    assert worker.newest() == 7
    assert recorder.calls == list(range(8))
    assert all(worker.get(i) == square(i) for i in range(5, 8))


def test_wanting_less_does_not_move_backwards(sequences: list[ThreadedSequence[int]]) -> None:
    recorder = Recorder()
    worker = threaded(sequences, recorder, lookahead=1)
    worker.start()
    worker.want(4)
    assert wait_for(lambda: worker.newest() == 5)
    worker.want(2)
    time.sleep(0.02)
    assert recorder.calls == list(range(6))


def test_old_items_are_overwritten_in_the_ring(sequences: list[ThreadedSequence[int]]) -> None:
    worker = threaded(sequences, square, lookahead=1)  # 4 slots
    worker.start()
    worker.want(10)
    assert wait_for(lambda: worker.newest() == 11)
    assert worker.get(11) == square(11)
    assert worker.get(8) == square(8)
    assert worker.get(7) is None  # its slot now holds 11


def test_failing_producer_is_retried(sequences: list[ThreadedSequence[int]]) -> None:
    attempts: list[int] = []

    def flaky(index: int) -> int:
        attempts.append(index)
        if index == 1 and attempts.count(1) < 3:
            raise RuntimeError("transient")
        return square(index)

    worker = threaded(sequences, flaky, lookahead=1, max_failures=5, retry_seconds=0.0)
    worker.start()
    worker.want(1)
    assert wait_for(lambda: worker.newest() == 2)
    assert attempts.count(1) == 3
    assert worker.get(1) == square(1)
    assert worker.failure is None


def test_producer_that_keeps_failing_sets_failure(sequences: list[ThreadedSequence[int]]) -> None:
    attempts: list[int] = []

    def broken(index: int) -> int:
        attempts.append(index)
        raise ValueError(f"bad step {index}")

    worker = threaded(sequences, broken, lookahead=2, max_failures=3, retry_seconds=0.0)
    worker.start()
    worker.want(0)
    assert wait_for(lambda: worker.failure is not None)
    assert worker.failure == "ValueError: bad step 0"
    assert attempts == [0, 0, 0]
    assert worker.newest() == -1
    assert worker.get(0) is None
    worker.stop()


def test_failures_must_be_in_a_row(sequences: list[ThreadedSequence[int]]) -> None:
    seen: dict[int, int] = {}

    def every_step_fails_once(index: int) -> int:
        seen[index] = seen.get(index, 0) + 1
        if seen[index] == 1:
            raise RuntimeError("once")
        return square(index)

    worker = threaded(
        sequences, every_step_fails_once, lookahead=5, max_failures=2, retry_seconds=0.0
    )
    worker.start()
    worker.want(0)
    assert wait_for(lambda: worker.newest() == 5)
    assert worker.failure is None


def test_stop_signals_and_join_waits_for_the_worker(sequences: list[ThreadedSequence[int]]) -> None:
    worker = threaded(sequences, square, lookahead=2)
    worker.start()
    worker.want(0)
    assert wait_for(lambda: worker.newest() == 2)
    assert worker.alive and worker._thread.name == "model-test"
    worker.stop()  # returns at once; the idle worker wakes and ends
    worker.join()
    assert not worker.alive


def test_stop_wakes_a_worker_waiting_for_want(sequences: list[ThreadedSequence[int]]) -> None:
    worker = threaded(sequences, square, lookahead=0)
    worker.start()
    assert wait_for(lambda: worker.newest() == 0)
    worker.stop()
    assert wait_for(lambda: not worker.alive)


def test_stop_does_not_wait_for_a_producer_in_the_middle_of_a_run() -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck(index: int) -> int:
        started.set()
        assert release.wait(10.0)
        return index

    worker: ThreadedSequence[int] = ThreadedSequence(stuck, "stuck")
    worker.start()
    assert started.wait(10.0)
    worker.stop()  # the producer is blocked: stop must return anyway
    assert worker.alive
    release.set()
    worker.join()
    assert not worker.alive and worker.get(0) is None  # stopped: its item is not published


def test_restart_throws_away_the_old_run_and_starts_from_zero() -> None:
    release = threading.Event()

    def old(index: int) -> int:
        if index == 1:
            assert release.wait(10.0)
        return index

    worker: ThreadedSequence[int] = ThreadedSequence(old, "restart", lookahead=2)
    worker.start()
    assert wait_for(lambda: worker.newest() == 0)
    worker.restart(lambda index: 100 + index)  # the worker is stuck producing old item 1
    assert worker.newest() == -1 and worker.get(0) is None
    release.set()
    worker.want(0)
    assert wait_for(lambda: worker.newest() >= 2)
    assert [worker.get(i) for i in range(3)] == [100, 101, 102]  # old item 1 never appears
    worker.stop()
    worker.join()


def test_stop_before_start_is_harmless() -> None:
    worker: ThreadedSequence[int] = ThreadedSequence(square, "never")
    worker.stop()
    assert worker.newest() == -1
