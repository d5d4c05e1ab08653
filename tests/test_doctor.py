"""``installation doctor``'s report, in this process: clean sections, warnings as lines, gaze."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from installation.commands import doctor_checks, doctor_disk
from installation.commands.doctor_checks import run_doctor
from tests.conftest import LAVA_SHOW, ShowWriter

ORT_WARNING = (
    "\x1b[0;93m2025-05-01 10:00:00.000 [W:onnxruntime:, session_state.cc:1166 "
    "VerifyEachNodeIsAssignedToAnEp] Some nodes were not assigned to the preferred execution "
    "providers\x1b[m\n"
)
ORT_INFO = "2025-05-01 10:00:00.000 [I:onnxruntime:, inference_session.cc:42 Init] session\n"


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """Logging as the command line sets it up: INFO and up, to stderr."""
    root = logging.getLogger()
    handler = logging.StreamHandler()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield
    root.removeHandler(handler)
    root.setLevel(level)


def section(output: str, title: str) -> list[str]:
    """The lines of one section of the report (after its title, up to the next title)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if not line.startswith("  ")), len(rest))
    return rest[:end]


@pytest.mark.usefixtures("cli_logging")
def test_logs_and_native_output_become_lines_of_their_section(
    write_show: ShowWriter, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_model = doctor_checks.onnx_runtime.load_model

    def noisy_load_model(*args: Any, **kwargs: Any) -> Any:
        logging.getLogger("installation.models.onnx_runtime").info("model loading (INFO)")
        logging.getLogger("installation.models.onnx_runtime").warning("a model warning")
        os.write(2, (ORT_INFO + ORT_WARNING).encode())  # as onnxruntime's C++ logger does
        return load_model(*args, **kwargs)

    monkeypatch.setattr(doctor_checks.onnx_runtime, "load_model", noisy_load_model)

    run_doctor(write_show(LAVA_SHOW))

    out, err = capfd.readouterr()
    assert err == ""
    models = section(out, "Models of")
    warnings = [line.split(None, 1)[1] for line in models if line.startswith("  warning ")]
    assert warnings == [
        "a model warning",
        "Some nodes were not assigned to the preferred execution providers",
    ]  # each once, though both models logged them; INFO dropped
    assert "model loading (INFO)" not in out and "session" not in " ".join(warnings)


def test_gaze_is_named_off_when_the_camera_is_off(
    write_show: ShowWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    run_doctor(write_show(LAVA_SHOW + "\n[camera]\nenabled = false\n"))
    lines = section(capsys.readouterr().out, "Camera and gaze of")
    assert "  gaze                       off in this show ([camera] enabled = false)" in lines


def test_gaze_is_named_off_when_gaze_is_off(
    write_show: ShowWriter, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    video = tmp_path / "visitor.avi"  # never opened: gaze is off, nothing uses the camera
    show = LAVA_SHOW + f'\n[camera]\nenabled = true\nsource = "{video.as_posix()}"\n'
    run_doctor(write_show(show + "\n[gaze]\nenabled = false\n"))
    lines = section(capsys.readouterr().out, "Camera and gaze of")
    assert "  gaze                       off in this show ([gaze] enabled = false)" in lines
    assert any("not opened" in line for line in lines)
    assert not any("detector" in line or "calibration" in line for line in lines)


def test_a_missing_model_gets_the_show_relative_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """doctor says what `run` says: paths in a show file are relative to the show file."""
    show = tmp_path / "elsewhere" / "myshow.toml"
    show.parent.mkdir()
    show.write_text(Path("show_configs/default.toml").read_text(encoding="utf-8"), "utf-8")
    assert run_doctor(show) == 1
    out = capsys.readouterr().out
    assert "does not exist" in out and "relative to the show file's folder" in out
    assert str(Path("exported_models/lava_lamp.onnx").resolve()) in out  # did you mean


def test_the_disk_section_shows_the_gallery_and_the_space_left(
    write_show: ShowWriter,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    for name in ("20260101-000000-000_a_seed1", "20260101-000001-000_a_seed2"):
        (gallery / f"{name}.png").write_bytes(b"x" * 1000)
        (gallery / f"{name}.json").write_bytes(b"{}")
    show = write_show(LAVA_SHOW + f'\n[gallery]\nfolder = "{gallery}"\nmax_images = 500\n')
    run_doctor(show)
    out = capsys.readouterr().out
    assert f"{gallery}: 2 images" in out and "kept within 500 images or 4,000 MB" in out
    assert "free on gallery's disk" in out
    monkeypatch.setattr(doctor_disk, "LOW_DISK_BYTES", 10**18)  # no disk is that big
    assert run_doctor(show) == 1
    assert "disk space for the gallery" in capsys.readouterr().out
