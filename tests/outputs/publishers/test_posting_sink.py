"""What gets posted: rainbows by trigger name, periodic frames (not during a blackout)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from installation.config.posting_schema import FramePosts, PostingSection
from installation.events import ImageRevealed
from installation.outputs.publishers.file_publisher import FilePublisher
from installation.outputs.publishers.outbox import Outbox, Policy
from installation.outputs.publishers.posting_sink import PeriodicFrames, PostingSink


def outbox(tmp_path: Path) -> Outbox:
    publishers = {"archive": FilePublisher("archive", tmp_path / "posted")}
    return Outbox(tmp_path / "outbox.sqlite", publishers, Policy())


def reveal(trigger: str, caption: str | None = None) -> ImageRevealed:
    image = np.full((32, 32, 3), 180, np.uint8)
    return ImageRevealed(
        image, np.zeros((1, 8), np.float32), 0.8, 5, "gen", Path("gen.onnx"), "rainbow", trigger,
        10.0, caption,
    )  # fmt: skip


def posted(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "posted").glob("*.json"))]


def test_only_the_configured_triggers_rainbows_are_posted(tmp_path: Path) -> None:
    settings = PostingSection.model_validate(
        {
            "folder": str(tmp_path),
            "targets": {"archive": {"kind": "file", "folder": str(tmp_path / "posted")}},
            "rainbows": {"triggers": ["game"], "targets": ["archive"], "size": 64,
                         "caption": "Seed {seed} by {trigger}: {caption}"},
        }
    )  # fmt: skip
    box = outbox(tmp_path)
    sink = PostingSink(settings, box, "Show")
    sink.start()
    sink.handle(reveal("keyboard"))
    sink.handle(reveal("game", "  Team   blue   won "))
    assert box.idle.wait(5)
    sink.stop()
    (post,) = posted(tmp_path)
    assert post["text"] == "Seed 5 by game: Team blue won" and post["size"] == [64, 64]


def test_frames_wait_out_a_blackout(tmp_path: Path) -> None:
    box = outbox(tmp_path)
    box.start()
    dark = [True]
    frames = FramePosts(every_seconds=10, targets=("archive",))
    image = np.full((18, 32, 3), 90, np.uint8)
    periodic = PeriodicFrames(
        frames, box, lambda: lambda: image, lambda: "lamp", "Show", tmp_path, lambda: dark[0]
    )
    assert not periodic.wanted(0.0)  # the first frame is one interval in
    assert not periodic.wanted(10.0)  # due, but the screen is dark
    dark[0] = False
    assert periodic.wanted(10.5)
    periodic.take(10.5)
    assert not periodic.wanted(11.0) and periodic.wanted(20.5)
    assert box.idle.wait(5)
    box.stop()
    (post,) = posted(tmp_path)
    assert str(post["text"]).startswith("Show, ") and str(post["text"]).endswith(": lamp.")
    assert post["size"] == [32, 18]
