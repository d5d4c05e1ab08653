"""Show files are strictly typed: TOML's types are taken as written, never coerced."""

from __future__ import annotations

from pathlib import Path

import pytest

from installation.errors import ConfigError
from installation.scenes.registry import load_show
from tests.conftest import LAVA_SHOW, ShowWriter


def problems_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_show(path)
    return str(caught.value)


def test_a_string_where_a_number_is_expected(write_show: ShowWriter) -> None:
    message = problems_of(write_show(LAVA_SHOW.replace("fps = 30", 'fps = "30"')))
    assert "has 1 problem:" in message
    assert 'show.fps: expected an integer, got the string "30". Write `fps = 30`.' in message


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("fps = 30.5", "show.fps: expected an integer, got the float 30.5."),
        ("fps = 30.0", "show.fps: expected an integer, got the float 30.0. Write `fps = 30`."),
        ("fps = true", "show.fps: expected an integer, got the boolean true."),
        ("name = 30", 'show.name: expected a string, got the integer 30. Write `name = "30"`.'),
        (
            'crossfade_seconds = "0.5"',
            'show.crossfade_seconds: expected a number, got the string "0.5". '
            "Write `crossfade_seconds = 0.5`.",
        ),
        ("name = 2024-05-01", "show.name: a date or time is not a valid value here"),
    ],
)
def test_wrong_types_are_refused(write_show: ShowWriter, written: str, expected: str) -> None:
    key = written.split(" = ")[0]
    lines = [line for line in LAVA_SHOW.split("\n") if not line.startswith(f"{key} = ")]
    text = "\n".join(lines).replace("[show]", f"[show]\n{written}", 1)
    assert expected in problems_of(write_show(text))


def test_every_wrong_type_is_listed_at_once(write_show: ShowWriter) -> None:
    text = (
        LAVA_SHOW
        + """
[display]
fullscreen = "true"
render_size = [1280, 720.0]
background = [1, 2]
[runtime]
providers = "cpu"
[camera]
source = 1.5
"""
    )
    text = text.replace("hue_shift = 30", 'hue_shift = "30"')
    message = problems_of(write_show(text))
    assert "has 6 problems" in message
    assert 'display.fullscreen: expected true or false, got the string "true".' in message
    assert "display.render_size[1]: expected an integer, got the float 720.0. Write 720." in message
    assert "display.background: expected an array of 3 values, got 2." in message
    assert (
        'runtime.providers: expected an array, got the string "cpu". Write `providers = ["cpu"]`.'
    )
    assert "camera.source: expected an integer or a string, got the float 1.5." in message
    assert 'scenes[0].hue_shift: expected a number, got the string "30".' in message


def test_valid_values_keep_working(write_show: ShowWriter, tmp_path: Path) -> None:
    """An integer is a valid float; arrays become tuples; strings become paths and literals."""
    text = (
        LAVA_SHOW.replace("crossfade_seconds = 0.5", "crossfade_seconds = 2")
        + """
[display]
render_size = [1280, 720]
[runtime]
providers = ["cpu"]
[camera]
source = "clips/visitor.avi"
[controls.gaze]
dwell_seconds = 3
"""
    )
    config = load_show(write_show(text))
    assert config.show.crossfade_seconds == 2.0
    assert isinstance(config.show.crossfade_seconds, float)
    assert config.display.render_size == (1280, 720)
    assert config.runtime.providers == ("cpu",)
    assert config.camera.source == str(tmp_path / "clips" / "visitor.avi")
    assert config.controls.gaze.dwell_seconds == 3.0
    assert isinstance(config.models["lava"].path, Path)


def test_camera_source_takes_a_device_index(write_show: ShowWriter) -> None:
    assert load_show(write_show(LAVA_SHOW + "[camera]\nsource = 1\n")).camera.source == 1
