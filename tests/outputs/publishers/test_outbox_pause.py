"""The outbox's pause (the show's closed hours): rows are taken in and kept, nothing is sent,
not even in a stop's drain; resumed, what waited goes out."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from installation.events import HoursChanged
from installation.outputs.publishers.file_publisher import FilePublisher
from installation.outputs.publishers.outbox import Job, Outbox
from installation.outputs.publishers.outbox_store import OutboxStore
from installation.outputs.publishers.post_images import write_png
from tests.outputs.publishers.test_outbox import FAST


def job(tmp_path: Path, number: int) -> Job:
    image = np.full((8, 16, 3), 200, np.uint8)
    path = tmp_path / "images" / f"{number}.png"
    return Job(("files",), f"post {number}", "alt", "test", lambda: write_png(image, path))


def states(tmp_path: Path) -> list[str]:
    store = OutboxStore(tmp_path / "outbox.sqlite")
    try:
        return sorted(item.state for item in store.items())
    finally:
        store.close()


def test_paused_holds_rows_queued_and_resumed_sends_them(tmp_path: Path) -> None:
    posted = tmp_path / "posted"
    outbox = Outbox(tmp_path / "outbox.sqlite", {"files": FilePublisher("files", posted)}, FAST)
    outbox.pause()
    outbox.start()
    for number in range(2):
        outbox.submit(job(tmp_path, number))
    deadline = time.monotonic() + 10.0
    while states(tmp_path) != ["queued", "queued"] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # the workers go round at least once more while paused
    assert states(tmp_path) == ["queued", "queued"] and not posted.exists()
    assert outbox.paused
    outbox.resume()
    assert outbox.idle.wait(10.0)
    outbox.stop()
    assert states(tmp_path) == ["sent", "sent"]
    assert len(list(posted.glob("*.png"))) == 2


def test_a_stop_while_paused_sends_nothing_and_keeps_everything(tmp_path: Path) -> None:
    posted = tmp_path / "posted"
    outbox = Outbox(tmp_path / "outbox.sqlite", {"files": FilePublisher("files", posted)}, FAST)
    outbox.start()
    outbox.pause()
    outbox.submit(job(tmp_path, 0))
    outbox.stop(timeout=5.0, drain_seconds=1.0)
    assert states(tmp_path) == ["queued"] and not posted.exists()


def test_the_posting_sink_pauses_at_closing_and_resumes_at_opening() -> None:
    from installation.config.posting_schema import PostingSection
    from installation.outputs.publishers.posting_sink import PostingSink

    class Switch:
        paused = False

        def pause(self) -> None:
            self.paused = True

        def resume(self) -> None:
            self.paused = False

    switch = Switch()
    sink = PostingSink(PostingSection(), switch, "show")  # type: ignore[arg-type]
    sink.handle(HoursChanged(False, "closed at 18:00", first=True))
    assert switch.paused
    sink.handle(HoursChanged(True, "open until 18:00"))
    assert not switch.paused
