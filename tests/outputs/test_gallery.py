from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from installation.events import ImageRevealed
from installation.outputs.gallery import GalleryWriter, file_sha256, save_reveal


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
