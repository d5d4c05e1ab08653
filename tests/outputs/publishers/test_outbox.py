"""The outbox's policy: backoff, rate-limit resets, refusals, unclear answers, crash recovery."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from installation.outputs.publishers.file_publisher import FilePublisher
from installation.outputs.publishers.outbox import Job, Outbox, Policy
from installation.outputs.publishers.outbox_store import OutboxStore
from installation.outputs.publishers.post import (
    Post,
    Posted,
    PostError,
    Publisher,
    Rendered,
)
from installation.outputs.publishers.post_images import write_png

FAST = Policy(max_attempts=5, retry_base_seconds=0.01, retry_max_seconds=0.05)


class Scripted(Publisher):
    """Answers each attempt from a script: None posts; an error instance is raised. The file
    publisher writes the real post, so what was 'posted' is on disk."""

    kind = "scripted"

    def __init__(self, folder: Path, script: list[PostError | None], window: float = 0.0) -> None:
        super().__init__("net")
        self.inner = FilePublisher("net", folder)
        self.script = script
        self.safe_to_repeat_seconds = window  # type: ignore[misc]
        self.attempts: list[int] = []

    def render(self, post: Post) -> Rendered:
        return self.inner.render(post)

    def publish(self, post: Post) -> Posted:
        self.attempts.append(post.attempts)
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            post.committing()
            raise outcome
        return self.inner.publish(post)


def run(tmp_path: Path, publisher: Publisher, policy: Policy = FAST, posts: int = 1) -> Outbox:
    counts: list[str] = []
    outbox = Outbox(tmp_path / "outbox.sqlite", {"net": publisher}, policy, counts.append, seed=1)
    outbox.counted = counts  # type: ignore[attr-defined]
    outbox.start()
    image = np.full((8, 16, 3), 200, np.uint8)
    for number in range(posts):
        path = tmp_path / "images" / f"{number}.png"
        outbox.submit(Job(("net",), f"post {number}", "alt", "test", _writer(image, path)))
    assert outbox.idle.wait(10.0)
    outbox.stop()
    return outbox


def _writer(image: np.ndarray, path: Path) -> Callable[[], Path]:
    return lambda: write_png(image, path)


def items(tmp_path: Path) -> list[tuple[str, int]]:
    store = OutboxStore(tmp_path / "outbox.sqlite")
    return [(item.state, item.attempts) for item in reversed(store.items())]


def test_retries_until_posted(tmp_path: Path) -> None:
    from installation.outputs.publishers.post import Retry

    publisher = Scripted(tmp_path / "posted", [Retry("500"), Retry("503")])
    outbox = run(tmp_path, publisher)
    assert items(tmp_path) == [("sent", 3)]
    assert publisher.attempts == [0, 1, 2]
    assert outbox.counted == ["posts_queued", "posts_sent"]  # type: ignore[attr-defined]
    assert (tmp_path / "posted" / "post-1.png").is_file()


def test_a_rate_limit_reset_holds_the_target_back_until_then(tmp_path: Path) -> None:
    from installation.outputs.publishers.post import Retry

    reset = time.time() + 0.4
    publisher = Scripted(tmp_path / "posted", [Retry("429", not_before=reset)])
    run(tmp_path, publisher, posts=2)
    store = OutboxStore(tmp_path / "outbox.sqlite")
    sent = sorted(item.sent_at or 0 for item in store.items())
    assert [item.state for item in store.items()] == ["sent", "sent"]
    assert min(sent) >= reset  # neither the limited post nor the next one went before the reset


def test_a_refusal_fails_at_once(tmp_path: Path) -> None:
    from installation.outputs.publishers.post import Rejected

    outbox = run(tmp_path, Scripted(tmp_path / "posted", [Rejected("401 bad token")]))
    assert items(tmp_path) == [("failed", 1)]
    assert outbox.counted == ["posts_queued", "posts_failed"]  # type: ignore[attr-defined]


def test_out_of_attempts_fails(tmp_path: Path) -> None:
    from installation.outputs.publishers.post import Retry

    run(tmp_path, Scripted(tmp_path / "posted", [Retry("500")] * 10))
    store = OutboxStore(tmp_path / "outbox.sqlite")
    (item,) = store.items()
    assert (item.state, item.attempts) == ("failed", 5)
    assert "gave up after 5 attempts" in (item.last_error or "")


def test_an_unclear_answer_is_unknown_where_a_repeat_could_post_twice(tmp_path: Path) -> None:
    from installation.outputs.publishers.post import Unclear

    outbox = run(tmp_path, Scripted(tmp_path / "posted", [Unclear("timeout")], window=0.0))
    assert items(tmp_path) == [("unknown", 1)]
    assert outbox.counted == ["posts_queued", "posts_unknown"]  # type: ignore[attr-defined]
    assert not (tmp_path / "posted").exists()  # never repeated


def test_an_unclear_answer_is_repeated_where_that_is_safe(tmp_path: Path) -> None:
    from installation.outputs.publishers.post import Unclear

    run(tmp_path, Scripted(tmp_path / "posted", [Unclear("timeout")], window=3600.0))
    assert items(tmp_path) == [("sent", 2)]


def test_the_hourly_cap_holds_posts_back(tmp_path: Path) -> None:
    publisher = Scripted(tmp_path / "posted", [])
    outbox = Outbox(
        tmp_path / "outbox.sqlite", {"net": publisher}, Policy(max_posts_per_hour=2), seed=1
    )
    outbox.start()
    image = np.zeros((8, 8, 3), np.uint8)
    for number in range(3):
        path = tmp_path / f"{number}.png"
        outbox.submit(Job(("net",), "c", "a", "test", _writer(image, path)))
    deadline = time.monotonic() + 5
    while len(publisher.attempts) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    outbox.stop()
    assert sorted(state for state, _ in items(tmp_path)) == ["queued", "sent", "sent"]


def _left_sending(tmp_path: Path, committing: bool, ago: float = 1.0) -> int:
    store = OutboxStore(tmp_path / "outbox.sqlite")
    image = tmp_path / "a.png"
    write_png(np.zeros((8, 8, 3), np.uint8), image)
    item = store.add("net", image, "c", "a", "test", time.time() - ago)
    store.claim(item.id, time.time() - ago)
    if committing:
        store.committing(item.id, time.time() - ago)
    store.close()
    return item.id


@pytest.mark.parametrize(
    ("committing", "window", "ago", "expected"),
    [
        (False, 0.0, 1.0, ("sent", 1)),  # killed before the creating request: goes again
        (True, 0.0, 1.0, ("unknown", 1)),  # killed during it, no way to ask: unknown
        (True, 3600.0, 1.0, ("sent", 2)),  # ... but the repeat is safe (idempotency key)
        (True, 3600.0, 7200.0, ("unknown", 1)),  # ... not any more: the key has expired
    ],
)
def test_recovery_after_a_kill(
    tmp_path: Path, committing: bool, window: float, ago: float, expected: tuple[str, int]
) -> None:
    _left_sending(tmp_path, committing, ago)
    publisher = Scripted(tmp_path / "posted", [], window=window)
    outbox = Outbox(tmp_path / "outbox.sqlite", {"net": publisher}, FAST)
    outbox.start()
    assert outbox.idle.wait(5.0)
    outbox.stop()
    assert items(tmp_path) == [expected]


def test_posts_for_a_target_without_credentials_wait_queued(tmp_path: Path) -> None:
    _left_sending(tmp_path, committing=False)
    outbox = Outbox(tmp_path / "outbox.sqlite", {}, FAST)
    outbox.start()
    assert outbox.idle.wait(5.0)
    outbox.stop()
    assert items(tmp_path) == [("queued", 0)]


def test_a_waiting_post_does_not_keep_the_worker_busy(tmp_path: Path) -> None:
    _left_sending(tmp_path, committing=False)
    outbox = Outbox(tmp_path / "outbox.sqlite", {}, FAST)  # its target cannot be sent to
    outbox.start()
    assert outbox.idle.wait(5.0)
    before = outbox.rounds
    time.sleep(1.0)
    outbox.stop()
    assert outbox.rounds - before <= 5  # it sleeps (up to a second), it does not spin
