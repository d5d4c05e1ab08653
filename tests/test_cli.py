"""The command line end to end, in a subprocess: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installation.outputs.instance_lock import DisplayLock
from tests.conftest import LAVA_SHOW, ShowWriter
from tests.onnx_factory import make_lava_lamp

USER_ERROR = 2


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.update({"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"})
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "installation", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == USER_ERROR, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_headless_run_writes_stats(write_show: ShowWriter, tmp_path: Path) -> None:
    stats_path = tmp_path / "s.json"
    result = run_cli(
        "run",
        str(write_show(LAVA_SHOW)),
        "--headless",
        "--seconds",
        "3",
        "--stats",
        str(stats_path),
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(stats_path.read_text())
    assert stats["fps_target"] == 30
    assert stats["frames"] >= 30
    assert set(stats["frame_interval_ms"]) == {"p50", "p95", "p99", "max"}
    assert 0.0 <= stats["on_time_ratio"] <= 1.0
    assert stats["late_frames"] >= 0
    for name in ("lava", "walk"):
        model = stats["models"][name]
        assert model["runs"] > 0
        assert model["provider"].endswith("ExecutionProvider")
        assert set(model["latency_ms"]) == {"p50", "p99"}
    assert isinstance(stats["counters"], dict)
    assert "CPUExecutionProvider" in result.stderr  # the provider actually used is logged


def test_missing_show_config(tmp_path: Path) -> None:
    result = run_cli("run", str(tmp_path / "nope.toml"), "--headless")
    assert_user_error(result, "nope.toml does not exist")


def test_invalid_show_config_lists_every_problem(write_show: ShowWriter) -> None:
    show = write_show(LAVA_SHOW.replace("fps = 30", "fps = 0\ncolour = 1"))
    result = run_cli("run", str(show), "--headless")
    assert_user_error(result, "2 problems", "show.fps", "show.colour: unknown key")


def test_missing_model_names_the_file(write_show: ShowWriter) -> None:
    show = write_show(LAVA_SHOW.replace("{models}/lava.onnx", "{models}/missing.onnx"))
    result = run_cli("run", str(show), "--headless")
    assert_user_error(result, "missing.onnx", "does not exist", "installation train")


def test_corrupt_model(write_show: ShowWriter, tmp_path: Path, model_dir: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes((model_dir / "lava.onnx").read_bytes()[:200])
    show = write_show(LAVA_SHOW.replace("{models}/lava.onnx", broken.as_posix()))
    result = run_cli("run", str(show), "--headless")
    assert_user_error(result, "broken.onnx", "could not be loaded")


def test_model_that_breaks_the_contract(write_show: ShowWriter, tmp_path: Path) -> None:
    wrong = make_lava_lamp(tmp_path / "wrong.onnx", props={"installation.contract": "7"})
    show = write_show(LAVA_SHOW.replace("{models}/lava.onnx", wrong.as_posix()))
    result = run_cli("run", str(show), "--headless")
    assert_user_error(
        result, "wrong.onnx", "breaks the model contract", "installation.contract is '7'"
    )


def test_a_display_driver_that_cannot_start_is_an_error(
    write_show: ShowWriter, tmp_path: Path
) -> None:
    env = {"SDL_VIDEODRIVER": "x11", "DISPLAY": "", "WAYLAND_DISPLAY": "", "TMPDIR": str(tmp_path)}
    result = run_cli("run", str(write_show(LAVA_SHOW)), "--windowed", env=env)
    assert_user_error(result, "No display found", "SDL_VIDEODRIVER=x11", "--headless")
    assert_one_paragraph(result)


# A kiosk's systemd unit: the environment a system service gets ---------------------------


def unit_environment(home: Path) -> dict[str, str]:
    """What systemd gives a system service (systemd.exec(5)): its own PATH, HOME, LANG and
    invocation variables; no DISPLAY, WAYLAND_DISPLAY, XDG_RUNTIME_DIR or SDL_VIDEODRIVER."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "INVOCATION_ID": "5f0c1e2d3b4a49588a7b6c5d4e3f2a1b",
        "JOURNAL_STREAM": "8:24113",
    }


def run_as_unit(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line started as a systemd unit would start it (nothing inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "installation", *args],
        capture_output=True,
        text=True,
        env=unit_environment(home),
        timeout=120,
        check=False,
    )


def assert_one_paragraph(result: subprocess.CompletedProcess[str]) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY decides on Linux")
def test_a_unit_without_a_display_stops_with_one_paragraph(
    write_show: ShowWriter, tmp_path: Path
) -> None:
    result = run_as_unit(tmp_path, "run", str(write_show(LAVA_SHOW)), "--seconds", "1")
    assert_user_error(
        result,
        "error: No display found: DISPLAY and WAYLAND_DISPLAY are unset",
        "Environment=DISPLAY=:0",
        "XAUTHORITY=",
        "user service of the graphical session",
        "--headless to run without a screen",
    )
    assert_one_paragraph(result)  # before the models load: nothing else was logged


def test_a_unit_without_a_display_runs_headless(write_show: ShowWriter, tmp_path: Path) -> None:
    show = str(write_show(LAVA_SHOW))
    result = run_as_unit(tmp_path, "run", show, "--seconds", "1", "--headless", "--no-osc")
    assert result.returncode == 0, result.stderr
    assert "No display found" not in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY decides on Linux")
def test_doctor_in_a_unit_without_a_display_is_not_ready(
    write_show: ShowWriter, tmp_path: Path
) -> None:
    result = run_as_unit(tmp_path, "doctor", str(write_show(LAVA_SHOW)))
    assert result.returncode == 1, result.stdout + result.stderr
    screen = next(line for line in result.stdout.splitlines() if line.startswith("  screen"))
    assert "MISSING: No display found" in screen
    assert "`installation run --headless` works without one" in screen
    assert "missing" in result.stdout and "a display (" in result.stdout
    assert "ready to run" not in result.stdout


def test_second_instance_on_the_same_display(write_show: ShowWriter, tmp_path: Path) -> None:
    lock = DisplayLock(0, folder=tmp_path)
    lock.acquire()
    try:
        result = run_cli(
            "run", str(write_show(LAVA_SHOW)), "--display", "0", env={"TMPDIR": str(tmp_path)}
        )
    finally:
        lock.release()
    assert_user_error(result, "already running on display 0")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run_cli("--debug", "run", str(tmp_path / "nope.toml"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_bad_seconds_is_a_usage_error(write_show: ShowWriter) -> None:
    result = run_cli("run", str(write_show(LAVA_SHOW)), "--headless", "--seconds", "-3")
    assert_user_error(result, "seconds must be positive")


def test_doctor_reports_providers_and_models(write_show: ShowWriter) -> None:
    result = run_cli("doctor", str(write_show(LAVA_SHOW)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CPUExecutionProvider" in result.stdout
    assert "CUDAExecutionProvider" in result.stdout
    assert "lava_lamp contract v1 ok" in result.stdout
    assert "warm latency" in result.stdout
    assert "ready to run" in result.stdout


def test_doctor_prints_its_sections_and_nothing_else(write_show: ShowWriter) -> None:
    result = run_cli("doctor", str(write_show(LAVA_SHOW)))
    assert result.stderr == ""  # no log lines (onnxruntime, model loading) between sections
    headers = [line for line in result.stdout.splitlines() if not line.startswith("  ")]
    assert [header.split(" ")[0] for header in headers] == [
        "Software",
        "Display",
        "Execution",
        "Models",
        "OSC",
        "Posting",
        "Camera",
        "Disk",
        "Summary",
    ]
    # The test harness's SDL_VIDEODRIVER=dummy is honoured, and said to show nothing.
    assert "SDL_VIDEODRIVER=dummy: the show runs, but nothing is visible" in result.stdout
    assert "gaze                       off in this show ([camera] enabled = false)" in result.stdout


def test_doctor_says_what_is_missing(write_show: ShowWriter) -> None:
    show = write_show(LAVA_SHOW.replace("{models}/lava.onnx", "{models}/absent.onnx"))
    result = run_cli("doctor", str(show))
    assert result.returncode == 1
    assert "absent.onnx" in result.stdout and "missing" in result.stdout


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_render_command(write_show: ShowWriter, tmp_path: Path, suffix: str) -> None:
    output = tmp_path / f"out{suffix}"
    result = run_cli(
        "render",
        str(write_show(LAVA_SHOW)),
        "--seconds",
        "1",
        "--fps",
        "10",
        "--size",
        "160x90",
        "--seed",
        "3",
        "-o",
        str(output),
    )
    assert result.returncode == 0, result.stderr
    assert output.stat().st_size > 0


# Stopping: systemctl stop sends SIGTERM -----------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("kiosk", [False, True])
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_show_even_a_kiosk_one(
    kiosk: bool, number: signal.Signals, write_show: ShowWriter, tmp_path: Path
) -> None:
    """A kiosk show ignores a window close (a visitor's Alt+F4), but `systemctl stop`
    (SIGTERM) and Ctrl+C (SIGINT) end it at once, through the usual shutdown (exit 0)."""
    show = write_show(LAVA_SHOW + ("\n[controls]\nkiosk = true\n" if kiosk else ""))
    environment = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    process = subprocess.Popen(
        [sys.executable, "-m", "installation", "run", str(show), "--headless", "--no-osc"],
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # the frame loop runs once the display is open
            if "display: driver" in line:
                break
        time.sleep(1.0)
        process.send_signal(number)
        _, rest = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest
    assert f"show stopped: signal {number.name}" in rest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_show_stopped_and_continued_goes_on_without_a_burst(
    write_show: ShowWriter, tmp_path: Path
) -> None:
    """SIGSTOP/SIGCONT (a debugger, a suspended VM, `kill -STOP`): the show resumes on its own
    cadence. It does not try to make up the missed frames in a burst, and it finishes."""
    stats_path = tmp_path / "stats.json"
    environment = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    command = [sys.executable, "-m", "installation", "run", str(write_show(LAVA_SHOW))]
    command += ["--headless", "--no-osc", "--seconds", "6", "--stats", str(stats_path)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "display: driver" in line:
                break
        time.sleep(1.0)
        process.send_signal(signal.SIGSTOP)
        time.sleep(2.5)
        process.send_signal(signal.SIGCONT)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest
    stats = json.loads(stats_path.read_text())
    # 6 s of show, 2.5 s of it stopped: about 105 frames at 30 fps; making up the stop would
    # have drawn about 180.
    assert 40 <= stats["frames"] <= 150, stats["frames"]
    assert stats["frame_interval_ms"]["max"] >= 2000.0  # the stop itself is one long interval
