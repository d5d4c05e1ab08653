from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from installation.events import ImageRevealed
from installation.outputs.gallery import GalleryWriter, file_sha256, save_reveal
from installation.outputs.gallery_bounds import GalleryBounds, gallery_usage


def revealed(model: Path, seed: int = 4) -> ImageRevealed:
    rng = np.random.default_rng(seed)
    return ImageRevealed(
        image=rng.integers(0, 256, (24, 32, 3), dtype=np.uint8),
        z=rng.standard_normal(512).astype(np.float32),
        truncation=0.8,
        seed=seed,
        model_name="rainbow",
        model_path=model,
        scene="stage rainbow",
        trigger="space",
        trigger_to_frame_ms=12.5,
        wall_time=1_700_000_000.25,
    )


def test_save_writes_png_and_a_json_that_can_re_render(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    event = revealed(model)
    png = save_reveal(tmp_path / "gallery", event)
    assert png.suffix == ".png" and "seed4" in png.name and " " not in png.name
    np.testing.assert_array_equal(np.asarray(PILImage.open(png)), event.image)
    record = json.loads(png.with_suffix(".json").read_text())
    assert record["image"] == png.name
    np.testing.assert_array_equal(np.asarray(record["z"], dtype=np.float32), event.z)
    assert record["truncation"] == 0.8 and record["seed"] == 4
    assert record["model_file"] == "model.onnx"
    assert record["model_sha256"] == file_sha256(model)
    assert record["size"] == [32, 24]
    assert not list((tmp_path / "gallery").glob(".*.tmp"))


def test_writer_saves_on_its_thread_and_survives_a_bad_folder(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    writer = GalleryWriter(tmp_path / "gallery")
    writer.start()
    for seed in range(3):
        writer.handle(revealed(model, seed))
    writer.stop()
    assert writer.saved_count == 3 and writer.last_saved is not None
    assert len(list((tmp_path / "gallery").glob("*.json"))) == 3

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the gallery folder should be")
    broken = GalleryWriter(blocked)
    broken.start()
    broken.handle(revealed(model))
    broken.stop()
    assert broken.failures == 1 and broken.saved_count == 0


def test_hash_is_cached_per_path(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"a")
    first = file_sha256(model)
    assert len(first) == 64
    time.sleep(0)
    assert file_sha256(model) == first


# Bounds: a gallery that runs for months ----------------------------------------------------


def reveal_at(model: Path, seed: int, second: int) -> ImageRevealed:
    """A reveal ``second`` seconds into the day (file names sort by time)."""
    event = revealed(model, seed)
    return dataclasses.replace(event, wall_time=1_700_000_000.0 + second)


def kept_seeds(folder: Path) -> list[int]:
    pngs = sorted(folder.glob("*.png"))
    assert sorted(p.with_suffix(".json") for p in pngs) == sorted(folder.glob("*.json"))
    return [json.loads(p.with_suffix(".json").read_text())["seed"] for p in pngs]


def test_the_oldest_images_go_past_max_images(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    folder = tmp_path / "gallery"
    bounds = GalleryBounds(folder, max_images=3, max_bytes=0)
    removed: list[Path] = []
    for seed in range(6):
        removed += bounds.saved(save_reveal(folder, reveal_at(model, seed, seed)))
    assert kept_seeds(folder) == [3, 4, 5]  # PNG and JSON removed together, oldest first
    assert [p.name.split("seed")[1] for p in removed] == ["0.png", "1.png", "2.png"]


def test_the_oldest_images_go_past_max_bytes_but_never_the_new_one(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    folder = tmp_path / "gallery"
    one = save_reveal(folder, reveal_at(model, 0, 0))
    size = one.stat().st_size + one.with_suffix(".json").stat().st_size
    bounds = GalleryBounds(folder, max_images=0, max_bytes=int(size * 2.5))
    for seed in range(1, 6):
        bounds.saved(save_reveal(folder, reveal_at(model, seed, seed)))
    assert kept_seeds(folder) == [4, 5]
    tiny = GalleryBounds(folder, max_images=0, max_bytes=1)  # smaller than any image
    tiny.saved(save_reveal(folder, reveal_at(model, 6, 6)))
    assert kept_seeds(folder) == [6]  # the newest stays, whatever the bound


def test_images_from_before_a_restart_count(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    folder = tmp_path / "gallery"
    for seed in range(4):  # the last run's images
        save_reveal(folder, reveal_at(model, seed, seed))
    bounds = GalleryBounds(folder, max_images=3, max_bytes=0)
    bounds.saved(save_reveal(folder, reveal_at(model, 9, 9)))
    assert kept_seeds(folder) == [2, 3, 9]
    assert gallery_usage(folder).images == 3


def test_a_failed_write_is_counted_and_the_next_image_is_saved(tmp_path: Path) -> None:
    """A full disk (here: the folder is a file) is a counted condition the show survives."""
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    folder = tmp_path / "gallery"
    folder.write_text("in the way")
    counts: dict[str, int] = {}

    def count(name: str, amount: int) -> None:
        counts[name] = counts.get(name, 0) + amount

    writer = GalleryWriter(folder, GalleryBounds(folder, 2, 0), count)
    writer.start()
    writer.handle(reveal_at(model, 1, 1))
    deadline = time.monotonic() + 10
    while writer.failures == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    folder.unlink()  # the disk has room again
    for seed in range(2, 5):
        writer.handle(reveal_at(model, seed, seed))
    writer.stop()
    assert counts == {"gallery_failures": 1, "gallery_removed": 1}
    assert kept_seeds(folder) == [3, 4]
