"""A live headless show that posts: a rainbow triggered over OSC and periodic frames, through the
outbox to the file target (and in tests/outputs/publishers, to each fake network)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from pythonosc.udp_client import SimpleUDPClient

from installation.app import RunOptions, run_show
from installation.outputs.publishers.outbox_store import OutboxStore
from installation.scenes.registry import load_show
from tests.conftest import ShowWriter
from tests.test_app_osc import free_udp_port

SHOW = """
[show]
name = "Posting test"
fps = 30
[display]
render_size = [320, 180]
[gallery]
folder = "gallery"
[osc]
port = {port}
[posting]
folder = "data"
[posting.targets.archive]
kind = "file"
folder = "posted"
[posting.rainbows]
triggers = ["osc"]
targets = ["archive"]
caption = "Rainbow {seed} at {time:%H:%M}. {caption}"
alt = "An AI rainbow, seed {seed}."
size = 512
[posting.frames]
every_seconds = 1.0
targets = ["archive"]
[models.gen]
path = "{models}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "rainbow"
model = "gen"
reveal_seconds = 0.1
"""


def posted(folder: Path) -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("post-*.json"))]


def test_a_show_posts_a_triggered_rainbow_and_periodic_frames(
    write_show: ShowWriter, tmp_path: Path
) -> None:
    port = free_udp_port()
    config = load_show(write_show(SHOW.replace("{port}", str(port))))

    def trigger() -> None:
        time.sleep(1.2)
        SimpleUDPClient("127.0.0.1", port).send_message("/rainbow/trigger", [7, "Game over!"])

    threading.Thread(target=trigger).start()
    stats = run_show(config, RunOptions(headless=True, seconds=3.6))
    counters = stats.counters()

    posts = posted(tmp_path / "posted")
    texts = [str(post["text"]) for post in posts]
    rainbows = [post for post in posts if str(post["text"]).startswith("Rainbow 7 at")]
    assert len(rainbows) == 1 and str(rainbows[0]["text"]).endswith(". Game over!")
    assert rainbows[0]["alt"] == "An AI rainbow, seed 7." and rainbows[0]["size"] == [512, 512]
    frames = [post for post in posts if post not in rainbows]
    assert len(frames) == counters["frames_captured"] >= 2, texts
    assert all(post["size"] == [320, 180] for post in frames)
    assert all(
        str(post["alt"]).startswith("A frame of the generative installation") for post in frames
    )
    picture = PILImage.open(tmp_path / "posted" / str(frames[0]["image"]))
    assert picture.size == (320, 180) and int(np.asarray(picture).max()) > 0  # not black

    assert counters["posts_queued"] == counters["posts_sent"] == len(posts)
    assert "posts_failed" not in counters and "posts_unknown" not in counters
    store = OutboxStore(tmp_path / "data" / "outbox.sqlite")
    assert store.counts()["sent"] == len(posts)


def test_no_posting_leaves_the_outbox_alone(write_show: ShowWriter, tmp_path: Path) -> None:
    config = load_show(write_show(SHOW.replace("{port}", str(free_udp_port()))))
    stats = run_show(config, RunOptions(headless=True, seconds=1.5, posting=False, osc=False))
    assert "frames_captured" not in stats.counters()
    assert not (tmp_path / "data").exists()


def test_a_dry_run_renders_posts_and_sends_nothing(write_show: ShowWriter, tmp_path: Path) -> None:
    config = load_show(write_show(SHOW.replace("{port}", str(free_udp_port()))))
    run_show(config, RunOptions(headless=True, seconds=1.6, osc=False, dry_run=True))
    assert not (tmp_path / "posted").exists()
    rendered = posted(tmp_path / "data" / "dry-run" / "archive")
    assert rendered and rendered[0]["network"] == "file"
    assert (tmp_path / "data" / "outbox-dry-run.sqlite").is_file()
    assert not (tmp_path / "data" / "outbox.sqlite").exists()
