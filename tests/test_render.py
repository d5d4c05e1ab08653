from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from installation.commands.render import RenderOptions, parse_size, render_show, with_overrides
from installation.config.schema import ShowConfig
from installation.errors import InstallationError
from installation.scenes.latent_walk import LatentWalkSettings
from installation.scenes.lava_lamp import LavaLampSettings
from installation.scenes.registry import load_show
from tests.conftest import LAVA_SHOW, ShowWriter

SIZE = (64, 48)


@pytest.fixture
def config(write_show: ShowWriter) -> ShowConfig:
    return load_show(write_show(LAVA_SHOW))


def render(config: ShowConfig, output: Path, **options: object) -> list[np.ndarray]:
    settings: dict[str, object] = {"seconds": 0.5, "fps": 10, "size": SIZE} | options
    count = render_show(config, RenderOptions(output=output, **settings))  # type: ignore[arg-type]
    files = sorted(output.glob("frame_*.png"))
    assert len(files) == count
    return [np.asarray(PILImage.open(file).convert("RGB")) for file in files]


def test_writes_the_expected_number_of_frames(config: ShowConfig, tmp_path: Path) -> None:
    frames = render(config, tmp_path / "frames", seconds=0.5, fps=10)
    assert len(frames) == 5
    assert all(frame.shape == (48, 64, 3) for frame in frames)
    assert len({frame.tobytes() for frame in frames}) > 1  # the lava moves


def test_frame_count_follows_the_show_fps_without_override(
    config: ShowConfig, tmp_path: Path
) -> None:
    assert config.show.fps == 30
    frames = render(config, tmp_path / "frames", seconds=0.2, fps=None)
    assert len(frames) == 6


def test_a_tiny_render_has_at_least_one_frame(config: ShowConfig, tmp_path: Path) -> None:
    assert len(render(config, tmp_path / "frames", seconds=0.001)) == 1


def test_same_seed_renders_identical_frames(config: ShowConfig, tmp_path: Path) -> None:
    # 1.3 s at 10 fps crosses the lava scene's 1 s duration into the crossfade.
    first = render(config, tmp_path / "one", seconds=1.3, seed=7)
    second = render(config, tmp_path / "two", seconds=1.3, seed=7)
    assert len(first) == len(second) == 13
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[9], first[12])  # the crossfade changed the picture


def test_a_different_seed_changes_the_frames(config: ShowConfig, tmp_path: Path) -> None:
    first = render(config, tmp_path / "one", seed=1)
    second = render(config, tmp_path / "two", seed=2)
    assert not any(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_render_to_an_animated_file(config: ShowConfig, tmp_path: Path) -> None:
    path = tmp_path / "show.gif"
    count = render_show(config, RenderOptions(output=path, seconds=0.4, fps=10, size=SIZE))
    assert count == 4
    with PILImage.open(path) as image:
        assert image.size == SIZE
        assert 1 <= getattr(image, "n_frames", 1) <= count  # PIL merges identical neighbours


def test_overrides_apply_to_every_scene(config: ShowConfig, tmp_path: Path) -> None:
    changed = with_overrides(
        config, RenderOptions(output=tmp_path, seed=42, fps=12, size=(320, 200))
    )
    assert changed.show.fps == 12
    assert changed.display.render_size == (320, 200)
    assert all(
        isinstance(scene, LavaLampSettings | LatentWalkSettings) and scene.seed == 42
        for scene in changed.scenes
    )
    assert with_overrides(config, RenderOptions(output=tmp_path)) == config


@pytest.mark.parametrize(
    ("text", "size"),
    [("1280x720", (1280, 720)), ("64X48", (64, 48)), (" 16x16 ", (16, 16))],
)
def test_parse_size(text: str, size: tuple[int, int]) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "text",
    ["1280", "1280x", "x720", "10x720", "1280x15", "a x b", "1280x720x3", "-64x48", "64*48", ""],
)
def test_parse_size_errors(text: str) -> None:
    with pytest.raises(InstallationError) as caught:
        parse_size(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "WIDTHxHEIGHT" in message
