"""Shared fixtures: no display, camera, GPU or network needed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYNPUT_BACKEND", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from tests.onnx_factory import make_generator, make_lava_lamp


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    make_lava_lamp(folder / "lava.onnx")
    make_generator(folder / "gen64.onnx", size=64)
    return folder


ShowWriter = Callable[[str], Path]


@pytest.fixture
def write_show(tmp_path: Path, model_dir: Path) -> ShowWriter:
    """Write a show file into tmp_path; ``{models}`` in the text becomes the model folder."""

    def write(text: str, name: str = "show.toml") -> Path:
        path = tmp_path / name
        path.write_text(text.replace("{models}", model_dir.as_posix()), encoding="utf-8")
        return path

    return write


LAVA_SHOW = """
[show]
fps = 30
crossfade_seconds = 0.5

[models.lava]
path = "{models}/lava.onnx"
kind = "lava_lamp"

[models.walk]
path = "{models}/gen64.onnx"
kind = "generator"

[[scenes]]
kind = "lava_lamp"
model = "lava"
duration_seconds = 1.0
hue_shift = 30

[[scenes]]
kind = "latent_walk"
model = "walk"
"""
