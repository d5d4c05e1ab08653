"""``installation outbox``: the operator's commands, and clear errors for their mistakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from installation.cli import main
from installation.outputs.publishers.outbox_store import OutboxStore
from installation.outputs.publishers.post_images import write_png
from tests.conftest import ShowWriter

SHOW = """
[posting]
folder = "data"
[posting.targets.archive]
kind = "file"
folder = "posted"
[posting.targets.bsky]
kind = "bluesky"
handle_env = "TEST_OUTBOX_HANDLE"
app_password_env = "TEST_OUTBOX_PASSWORD"
max_image_bytes = 20000
[models.gen]
path = "{models}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "rainbow"
model = "gen"
"""


@pytest.fixture
def show(write_show: ShowWriter) -> Path:
    return write_show(SHOW)


def noisy_png(path: Path, size: int = 256) -> Path:
    rng = np.random.default_rng(0)
    return write_png(rng.integers(0, 255, (size, size, 3), dtype=np.uint8), path)


def test_post_list_send_and_the_states(
    show: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = noisy_png(tmp_path / "in.png")
    args = ["--show", str(show), "--target", "archive", "--caption", "Hi", "--alt", "Noise"]
    assert main(["outbox", "post", str(image), *args]) == 0
    assert main(["outbox", "list", "--show", str(show)]) == 0
    out = capsys.readouterr().out
    assert "queued 1" in out and "'Hi'" in out
    assert main(["outbox", "send", "--show", str(show), "--seconds", "10"]) == 0
    assert "sent 1" in capsys.readouterr().out
    assert (tmp_path / "posted" / "post-1.png").read_bytes() == image.read_bytes()
    assert main(["outbox", "list", "--show", str(show), "--state", "sent"]) == 0
    assert "file://" in capsys.readouterr().out


def test_retry_and_drop_an_unknown_item(
    show: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = OutboxStore(tmp_path / "data" / "outbox.sqlite")
    item = store.add("archive", noisy_png(tmp_path / "a.png"), "c", "a", "manual", 0.0)
    store.claim(item.id, 1.0)
    store.mark_unknown(item.id, "lost", 2.0)
    assert main(["outbox", "list", "--show", str(show)]) == 0
    assert "may or may not have been posted" in capsys.readouterr().out
    assert main(["outbox", "retry", str(item.id), "--show", str(show)]) == 0
    assert store.get(item.id).state == "queued"
    assert main(["outbox", "drop", str(item.id), "--show", str(show)]) == 0
    assert store.counts() == dict.fromkeys(store.counts(), 0)


def test_operator_mistakes_are_one_clear_line(
    show: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox", "retry", "99", "--show", str(show)]) == 2
    assert "has no item 99" in capsys.readouterr().err
    image = noisy_png(tmp_path / "a.png")
    assert (
        main(["outbox", "post", str(image), "--show", str(show), "--target", "nope", "--alt", "x"])
        == 2
    )
    assert "no posting target 'nope': archive, bsky" in capsys.readouterr().err
    assert (
        main(
            [
                "outbox",
                "post",
                str(tmp_path / "missing.png"),
                "--show",
                str(show),
                "--target",
                "archive",
                "--alt",
                "x",
            ]
        )
        == 2
    )
    assert "is not a file" in capsys.readouterr().err


def test_post_dry_run_renders_for_the_network_without_credentials(
    show: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = noisy_png(tmp_path / "big.png", 512)  # about 790 kB: over this target's 20 kB
    long_caption = "word " * 100
    args = ["--show", str(show), "--target", "bsky", "--caption", long_caption, "--alt", "Noise"]
    assert main(["outbox", "post", str(image), *args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "nothing was sent" in out and "text shortened from 500" in out
    assert "image re-encoded to fit 20,000 bytes" in out
    written = list((tmp_path / "data" / "dry-run" / "bsky").glob("render-*.jpg"))
    assert len(written) == 1 and written[0].stat().st_size <= 20_000
    assert not (tmp_path / "data" / "outbox.sqlite").exists()  # nothing queued


def test_doctor_lists_missing_credentials_by_name_only(
    show: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_OUTBOX_HANDLE", "show.test")
    monkeypatch.delenv("TEST_OUTBOX_PASSWORD", raising=False)
    assert main(["doctor", str(show)]) == 1
    out = capsys.readouterr().out
    assert "missing TEST_OUTBOX_PASSWORD" in out and "show.test" not in out
    assert "archive" in out and "credentials set (not tried" in out


ONLINE_SHOW = """
[posting]
folder = "data"
[posting.targets.masto]
kind = "mastodon"
base_url = "{url}"
access_token_env = "TEST_DOCTOR_TOKEN"
[models.gen]
path = "{models}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "rainbow"
model = "gen"
"""


def test_doctor_online_asks_the_service(
    write_show: ShowWriter, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_services import FakeMastodon
    from tests.outputs.publishers.network_helpers import MASTODON_TOKEN

    with FakeMastodon(MASTODON_TOKEN) as fake:
        show = write_show(ONLINE_SHOW.replace("{url}", fake.url))
        monkeypatch.setenv("TEST_DOCTOR_TOKEN", MASTODON_TOKEN)
        main(["doctor", str(show), "--online"])
        out = capsys.readouterr().out
        assert f"masto                      mastodon: logged in as @show on {fake.url}" in out
        monkeypatch.setenv("TEST_DOCTOR_TOKEN", "a-revoked-token")
        assert main(["doctor", str(show), "--online"]) == 1
        out = capsys.readouterr().out
        assert "NOT working" in out and "working credentials for 'masto'" in out
        assert "a-revoked-token" not in out


def test_a_row_a_dead_process_left_sending_is_resolved_by_the_next_command(
    show: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from installation.outputs.publishers.outbox_recovery import OutboxLock

    database = tmp_path / "data" / "outbox.sqlite"
    store = OutboxStore(database)
    item = store.add("archive", noisy_png(tmp_path / "a.png"), "c", "a", "manual", 0.0)
    store.claim(item.id, 1.0)
    live = OutboxLock(database)
    assert live.acquire()  # a running show owns it: its row is being sent, hands off
    assert main(["outbox", "drop", str(item.id), "--show", str(show)]) == 2
    assert "being sent right now" in capsys.readouterr().err
    live.release()  # the show died
    assert main(["outbox", "list", "--show", str(show)]) == 0
    assert store.get(item.id).state == "queued"  # it never reached the creating request
    assert main(["outbox", "drop", str(item.id), "--show", str(show)]) == 0


def test_send_refuses_while_another_process_sends(
    show: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from installation.outputs.publishers.outbox_recovery import OutboxLock

    live = OutboxLock(tmp_path / "data" / "outbox.sqlite")
    assert live.acquire()  # a running show
    assert main(["outbox", "send", "--show", str(show), "--seconds", "5"]) == 2
    assert "another process" in capsys.readouterr().err
    live.release()
