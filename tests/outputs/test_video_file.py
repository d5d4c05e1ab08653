from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image as PILImage

from installation.errors import InstallationError
from installation.outputs.video_file import FrameWriter

FRAMES = 6


def frames(count: int = FRAMES, width: int = 32, height: int = 24) -> list[np.ndarray]:
    """Frames that differ from each other: a bright bar moving across a dark field."""
    made = []
    for k in range(count):
        frame = np.full((height, width, 3), 20, dtype=np.uint8)
        frame[:, (k * 4) % width : (k * 4) % width + 4] = (250, 200, 40)
        made.append(frame)
    return made


def write_all(path: Path, fps: float = 10.0, count: int = FRAMES) -> FrameWriter:
    with FrameWriter(path, fps) as writer:
        for frame in frames(count):
            writer.write(frame)
    return writer


def test_gif(tmp_path: Path) -> None:
    path = tmp_path / "out" / "loop.gif"
    writer = write_all(path, fps=10.0)
    assert writer.frames == FRAMES
    with PILImage.open(path) as image:
        assert image.format == "GIF"
        assert getattr(image, "n_frames", 1) == FRAMES
        assert image.size == (32, 24)
        assert image.info["duration"] == 100
        assert image.info["loop"] == 0


def test_animated_png(tmp_path: Path) -> None:
    path = tmp_path / "loop.PNG"  # the suffix is case-insensitive
    write_all(path, fps=20.0)
    with PILImage.open(path) as image:
        assert image.format == "PNG"
        assert getattr(image, "is_animated", False)
        assert getattr(image, "n_frames", 1) == FRAMES
        image.seek(3)
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), frames()[3])


def test_png_folder(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    writer = write_all(folder)
    files = sorted(folder.glob("*.png"))
    assert [f.name for f in files] == [f"frame_{k:06d}.png" for k in range(FRAMES)]
    assert writer.frames == FRAMES
    for file, expected in zip(files, frames(), strict=True):
        np.testing.assert_array_equal(np.asarray(PILImage.open(file)), expected)


def test_mp4_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    count = 12
    write_all(path, fps=12.0, count=count)
    assert path.stat().st_size > 0
    reader = imageio.get_reader(str(path))
    try:
        decoded = [np.asarray(frame) for frame in reader.iter_data()]
        assert reader.get_meta_data()["fps"] == pytest.approx(12.0)
    finally:
        reader.close()
    assert len(decoded) == count
    assert decoded[0].shape == (24, 32, 3)
    # Lossy, but the moving bar is where it should be.
    expected = frames(count)
    for got, want in zip(decoded, expected, strict=True):
        assert np.abs(got.astype(int) - want.astype(int)).mean() < 20


@pytest.mark.parametrize("name", ["clip.avi", "clip.webm", "picture.jpg"])
def test_unknown_suffix_is_refused_clearly(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(InstallationError) as caught:
        FrameWriter(path, 30.0)
    message = str(caught.value)
    assert str(path) in message
    assert f"unknown format '{path.suffix}'" in message
    for known in (".mp4", ".gif", ".png"):
        assert known in message
    assert "folder" in message
    assert not path.exists()


def test_parent_folders_are_made(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.gif"
    write_all(path, count=2)
    assert path.is_file()


def test_no_frames_writes_no_animation(tmp_path: Path) -> None:
    path = tmp_path / "empty.gif"
    with FrameWriter(path, 10.0):
        pass
    assert not path.exists()
