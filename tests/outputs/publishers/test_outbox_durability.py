"""Issue 25: a handed-in post is durable for every target at once, workers per target, no row
stuck ``sending``, pre-checks use no attempt, posted images are deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from installation.outputs.publishers import outbox_recovery
from installation.outputs.publishers.file_publisher import FilePublisher
from installation.outputs.publishers.outbox import Job, Outbox, Policy
from installation.outputs.publishers.outbox_recovery import OutboxLock, recover, sweep_images
from installation.outputs.publishers.outbox_store import OutboxStore
from installation.outputs.publishers.post import Post, Posted, Publisher, Rendered, Retry
from installation.outputs.publishers.post_images import write_png

FAST = Policy(max_attempts=5, retry_base_seconds=0.01, retry_max_seconds=0.05)
ROOT = Path(__file__).resolve().parents[3]

# A process that hands two posts (targets a and b) to its outbox, then dies at ``point``.
CHILD = """
import os, sys, time
from pathlib import Path
import numpy as np
from installation.outputs.publishers.outbox import Job, Outbox, Policy
from installation.outputs.publishers.post_images import write_png

folder, point = Path(sys.argv[1]), sys.argv[2]

class Dying(Outbox):
    def _fault(self, name):
        if name == point:
            os._exit(9)

box = Dying(folder / "outbox.sqlite", {}, Policy())
box.start()
image = np.full((8, 8, 3), 99, np.uint8)
for n in range(2):
    path = folder / "images" / f"{n}.png"
    box.submit(Job(("a", "b"), f"post {n}", "alt", "t", lambda p=path: write_png(image, p)))
time.sleep(10)
"""


def _die_at(folder: Path, point: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), point], env=env, timeout=60)
    assert done.returncode == 9


def _publishers(folder: Path) -> dict[str, Publisher]:
    return {name: FilePublisher(name, folder / "posted" / name) for name in ("a", "b")}


def _restart(folder: Path) -> Outbox:
    outbox = Outbox(folder / "outbox.sqlite", _publishers(folder), FAST)
    outbox.start()
    assert outbox.idle.wait(10.0)
    outbox.stop()
    return outbox


def _posted(folder: Path, target: str) -> list[str]:
    files = sorted((folder / "posted" / target).glob("*.json"))
    return sorted(json.loads(path.read_text())["text"] for path in files)


def test_killed_after_the_rows_commit_every_target_posts_once(tmp_path: Path) -> None:
    _die_at(tmp_path, "rows-added")  # both rows of the first post committed, nothing sent
    store = OutboxStore(tmp_path / "outbox.sqlite")
    assert sorted(item.target for item in store.items()) == ["a", "b"]
    _restart(tmp_path)
    assert _posted(tmp_path, "a") == _posted(tmp_path, "b") == ["post 0"]
    assert not any((tmp_path / "images").iterdir())  # sent everywhere: the image is gone


def test_killed_between_the_image_and_the_rows_leaves_nothing_half_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _die_at(tmp_path, "image-written")
    store = OutboxStore(tmp_path / "outbox.sqlite")
    assert store.items() == []  # the post is lost whole, never queued for one target only
    assert [path.name for path in (tmp_path / "images").iterdir()] == ["0.png"]
    monkeypatch.setattr(outbox_recovery, "ORPHAN_SECONDS", 0.0)
    _restart(tmp_path)
    assert not any((tmp_path / "images").iterdir())  # the orphaned image is swept


def test_the_rows_are_written_before_any_worker_runs(tmp_path: Path) -> None:
    holder = OutboxLock(tmp_path / "outbox.sqlite")
    assert holder.acquire()  # another live process owns the outbox: no worker here starts
    outbox = Outbox(tmp_path / "outbox.sqlite", _publishers(tmp_path), FAST)
    outbox.start()
    image = np.zeros((8, 8, 3), np.uint8)
    outbox.submit(
        Job(("a", "b"), "c", "alt", "t", lambda: write_png(image, tmp_path / "images" / "x.png"))
    )
    store = OutboxStore(tmp_path / "outbox.sqlite")
    deadline = time.monotonic() + 5
    while len(store.items()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted((i.target, i.state) for i in store.items()) == [("a", "queued"), ("b", "queued")]
    outbox.stop(timeout=1.0, drain_seconds=0.0)
    holder.release()


class Hanging(Publisher):
    kind = "hanging"

    def __init__(self) -> None:
        super().__init__("slow")
        self.release = threading.Event()

    def render(self, post: Post) -> Rendered:
        raise NotImplementedError

    def publish(self, post: Post) -> Posted:
        self.release.wait(10.0)
        raise Retry("hung up")


def test_a_hung_network_does_not_hold_up_another_target(tmp_path: Path) -> None:
    slow = Hanging()
    publishers = {"slow": slow, "a": FilePublisher("a", tmp_path / "posted" / "a")}
    outbox = Outbox(tmp_path / "outbox.sqlite", publishers, FAST)
    outbox.start()
    image = np.zeros((8, 8, 3), np.uint8)
    outbox.submit(
        Job(("slow", "a"), "c", "alt", "t", lambda: write_png(image, tmp_path / "i" / "x.png"))
    )
    deadline = time.monotonic() + 5
    while not _posted(tmp_path, "a") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _posted(tmp_path, "a") == ["c"]  # posted while "slow" still hangs
    slow.release.set()
    outbox.stop(timeout=5.0, drain_seconds=0.0)


def _left_sending(folder: Path, target: str, committing: bool) -> int:
    store = OutboxStore(folder / "outbox.sqlite")
    image = write_png(np.zeros((8, 8, 3), np.uint8), folder / "images" / f"{target}.png")
    item = store.add(target, image, "c", "a", "test", time.time())
    store.claim(item.id, time.time())
    if committing:
        store.committing(item.id, time.time())
    store.close()
    return item.id


def test_rows_of_a_live_process_are_left_alone_and_a_dead_ones_resolved(tmp_path: Path) -> None:
    database = tmp_path / "outbox.sqlite"
    first = _left_sending(tmp_path, "a", committing=False)
    second = _left_sending(tmp_path, "x", committing=True)
    live = OutboxLock(database)
    assert live.acquire()
    assert not OutboxLock(database).acquire()  # a second process cannot take it
    live.release()  # the owner died: the kernel released its lock
    lock = OutboxLock(database)
    assert lock.acquire()
    store = OutboxStore(database)
    assert recover(store, {"a": 0.0, "x": 0.0}, time.time()) == 2
    assert store.get(first).state == "queued"  # never reached the creating request
    assert store.get(second).state == "unknown"  # X: no way to ask
    lock.release()


class Checking(Publisher):
    """Fails its pre-check ``checks`` times (as Bluesky's session resume under 429s), then posts."""

    kind = "checking"

    def __init__(self, folder: Path, checks: int) -> None:
        super().__init__("a")
        self.inner = FilePublisher("a", folder)
        self.checks = checks

    def render(self, post: Post) -> Rendered:
        return self.inner.render(post)

    def publish(self, post: Post) -> Posted:
        if self.checks:
            self.checks -= 1
            raise Retry("resuming the session: HTTP 429", check=True)
        return self.inner.publish(post)


def test_failed_pre_checks_use_up_no_attempt(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite", {"a": Checking(tmp_path / "p", 8)}, FAST)
    outbox.start()
    image = np.zeros((8, 8, 3), np.uint8)
    outbox.submit(Job(("a",), "c", "alt", "t", lambda: write_png(image, tmp_path / "x.png")))
    assert outbox.idle.wait(10.0)
    outbox.stop()
    (item,) = OutboxStore(tmp_path / "outbox.sqlite").items()
    assert (item.state, item.attempts, item.checks) == ("sent", 1, 8)  # max_attempts is 5


def test_an_image_is_deleted_once_every_target_has_it(tmp_path: Path) -> None:
    database = tmp_path / "outbox.sqlite"
    store = OutboxStore(database)
    image = write_png(np.zeros((8, 8, 3), np.uint8), tmp_path / "images" / "r.png")
    outside = write_png(np.zeros((8, 8, 3), np.uint8), tmp_path / "mine.png")  # `outbox post`
    first, second = store.add_many(("a", "b"), image, "c", "alt", "t", time.time())
    manual = store.add("a", outside, "c", "alt", "manual", time.time())
    for item in (first, manual):
        store.claim(item.id, time.time())
        store.mark_sent(item.id, "1", "u", time.time())
    store.claim(second.id, time.time())
    store.mark_failed(second.id, "refused", time.time())
    assert sweep_images(store) == 0 and image.exists()  # b failed: the operator may retry it
    store.drop(second.id)
    assert sweep_images(store) == 1 and not image.exists()
    assert outside.exists()  # never the operator's own file
