"""A live headless show that posts: a rainbow triggered over OSC and periodic frames, through the
outbox to the file target (and in tests/outputs/publishers, to each fake network)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from installation.app import RunOptions, run_show
from installation.outputs.publishers.outbox_store import OutboxStore
from installation.scenes.registry import load_show
from tests.conftest import ShowWriter
from tests.test_app_osc import free_udp_port, wait_for_show

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
        wait_for_show(port).send_message("/rainbow/trigger", [7, "Game over!"])

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


NETWORK_SHOW = """
[show]
name = "Posting test"
[display]
render_size = [320, 180]
[gallery]
enabled = false
[osc]
port = {port}
[posting]
folder = "data"
timeout_seconds = 2
[posting.targets.x]
kind = "x"
base_url = "{x}"
consumer_key_env = "TEST_X_CK"
consumer_secret_env = "TEST_X_CS"
access_token_env = "TEST_X_AT"
access_token_secret_env = "TEST_X_ATS"
[posting.targets.mastodon]
kind = "mastodon"
base_url = "{mastodon}"
access_token_env = "TEST_MASTODON_TOKEN"
[posting.targets.bluesky]
kind = "bluesky"
base_url = "{bluesky}"
handle_env = "TEST_BSKY_HANDLE"
app_password_env = "TEST_BSKY_PASSWORD"
[posting.rainbows]
triggers = ["osc"]
targets = ["x", "mastodon", "bluesky"]
[posting.frames]
every_seconds = 1.5
targets = ["x", "mastodon", "bluesky"]
[models.gen]
path = "{models}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "rainbow"
model = "gen"
reveal_seconds = 0.1
"""


def test_a_show_posts_to_each_network_end_to_end(
    write_show: ShowWriter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A triggered rainbow and periodic frames reach X, Mastodon and Bluesky (their fakes); no
    credential shows up in the log (at DEBUG), the stats or the outbox database."""
    from tests.fake_services import FakeBluesky, FakeMastodon, FakeX
    from tests.outputs.publishers.network_helpers import (
        BSKY_HANDLE,
        BSKY_PASSWORD,
        MASTODON_TOKEN,
        X_KEYS,
    )

    for name, value in zip(
        ("TEST_X_CK", "TEST_X_CS", "TEST_X_AT", "TEST_X_ATS"), X_KEYS, strict=True
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TEST_MASTODON_TOKEN", MASTODON_TOKEN)
    monkeypatch.setenv("TEST_BSKY_HANDLE", BSKY_HANDLE)
    monkeypatch.setenv("TEST_BSKY_PASSWORD", BSKY_PASSWORD)
    port = free_udp_port()
    with (
        FakeX(*X_KEYS) as x,
        FakeMastodon(MASTODON_TOKEN) as mastodon,
        FakeBluesky(BSKY_HANDLE, BSKY_PASSWORD) as bluesky,
    ):
        text = NETWORK_SHOW.replace("{port}", str(port)).replace("{x}", x.url)
        text = text.replace("{mastodon}", mastodon.url).replace("{bluesky}", bluesky.url)
        config = load_show(write_show(text))

        def trigger() -> None:
            wait_for_show(port).send_message("/rainbow/trigger", [11, "Won!"])

        threading.Thread(target=trigger).start()
        with caplog.at_level("DEBUG"):
            stats = run_show(config, RunOptions(headless=True, seconds=3.4))
        counters = stats.counters()
        for fake in (x, mastodon, bluesky):
            texts = [str(post["text"]) for post in fake.posts()]
            rainbow = [t for t in texts if t.startswith("A new AI rainbow, seed 11")]
            assert len(rainbow) == 1 and rainbow[0].endswith("Won!"), texts
            assert any(t.startswith("Posting test, ") for t in texts), texts
        assert counters["posts_sent"] == counters["posts_queued"] >= 6  # the last drained too
    secrets = (*X_KEYS, MASTODON_TOKEN, BSKY_PASSWORD)
    logged = caplog.text
    stored = b"".join(path.read_bytes() for path in (tmp_path / "data").glob("outbox.sqlite*"))
    assert not any(secret in logged for secret in secrets), "a credential was logged"
    assert not any(secret in json.dumps(stats.as_dict()) for secret in secrets)
    assert not any(secret.encode() in stored for secret in secrets)
