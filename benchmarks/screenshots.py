"""Retake the pictures of the shipped shows in README.md and docs/ under a real X server.

Each show runs fullscreen on Xvfb at 1920x1080 as a visitor would see it (a real SDL window,
not the dummy driver); keys go in through xdotool and OSC messages through the project's own
``installation osc send``; the screen is grabbed with ImageMagick's ``import``. The gallery
show's camera is a synthetic visitor (a real photograph with drawn eyes, tests/synthetic_gaze.py)
played from a video file, and its gaze model is fitted on a synthetic calibration recording.

Needs Debian's xvfb, xdotool and imagemagick. Usage::

    python benchmarks/screenshots.py --out docs/images            # every picture
    python benchmarks/screenshots.py --out /tmp/shots --only stage

The stage game's result card comes from the attract loop's games, whose ends fall at no fixed
time: that run grabs one frame a second into ``OUT/burst/``, to pick ``stage_game_result.png``
from; so does the gallery run, for ``gallery_gaze_overlay.png`` (a rainbow that a look held
still just revealed).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIZE = (1920, 1080)
DISPLAY = ":93"
OSC_PORT = 9311


@dataclass(frozen=True)
class Step:
    """At ``at`` seconds after the show started: press keys, send OSC, or grab the screen."""

    at: float
    keys: tuple[str, ...] = ()
    osc: tuple[str, ...] = ()
    grab: str | None = None


@dataclass(frozen=True)
class Shot:
    """One show run and what happens during it."""

    name: str
    show: Path
    steps: tuple[Step, ...]
    extra: tuple[str, ...] = ()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is missing: apt-get install xvfb xdotool imagemagick")
    return path


@contextlib.contextmanager
def x_server() -> Iterator[dict[str, str]]:
    """Xvfb at 1920x1080, 24-bit; the environment a show needs to open its window there."""
    server = subprocess.Popen(
        [_tool("Xvfb"), DISPLAY, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=DISPLAY, SDL_AUDIODRIVER="dummy", PYNPUT_BACKEND="xorg")
    try:
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)


def _grab(env: dict[str, str], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("import"), "-window", "root", str(path)], env=env, check=True)
    print(f"  wrote {path}")


def _keys(env: dict[str, str], keys: Sequence[str]) -> None:
    for key in keys:
        subprocess.run([_tool("xdotool"), "key", "--delay", "80", key], env=env, check=False)
        time.sleep(0.15)


def _osc(env: dict[str, str], message: str) -> None:
    address, *values = shlex.split(message)
    command = [sys.executable, "-m", "installation", "--quiet", "osc", "send", address, *values]
    subprocess.run(
        [*command, "--port", str(OSC_PORT), "--wait", "0.2"], env=env, cwd=ROOT, check=False
    )


def take(shot: Shot, env: dict[str, str], out: Path) -> None:
    """Run ``shot.show`` fullscreen and carry out its steps at their times."""
    print(f"{shot.name}: {shot.show}")
    command = [sys.executable, "-m", "installation", "--quiet", "run", str(shot.show)]
    command += ["--osc-port", str(OSC_PORT), "--no-posting", *shot.extra]
    show = subprocess.Popen(command, env=env, cwd=ROOT)
    started = time.monotonic()
    try:
        for step in shot.steps:
            time.sleep(max(0.0, step.at - (time.monotonic() - started)))
            if show.poll() is not None:
                raise SystemExit(f"{shot.show} stopped early (exit {show.returncode})")
            _keys(env, step.keys)
            for message in step.osc:
                _osc(env, message)
            if step.grab is not None:
                _grab(env, out / step.grab)
    finally:
        show.terminate()
        show.wait(timeout=20)


def _gallery_with_visitor(folder: Path) -> Path:
    """A copy of the gallery show whose camera is a synthetic visitor's video and whose gaze
    model was fitted on that same visitor's calibration recording (as a kiosk is calibrated)."""
    import numpy as np
    from gaze import GEOMETRY, fitted_model  # benchmarks/gaze.py, beside this script

    from tests.synthetic_gaze import SyntheticCamera, write_video

    camera = SyntheticCamera(GEOMETRY)
    rng = np.random.default_rng(9)
    pose, look = camera.nominal_pose(), camera.random_appearance(rng)
    model = fitted_model(folder, seed=21, appearance=look).model.spec.path
    frames = [camera.render(_look(i / 30.0), pose, look, rng) for i in range(30 * 40)]
    video = folder / "visitor.avi"
    write_video(video, frames, fps=30.0)
    text = (ROOT / "show_configs" / "gallery.toml").read_text(encoding="utf-8")
    text = text.replace(
        '# calibration = "../calibration/gallery.gaze.onnx"   # the default: per show file',
        f'calibration = "{model.as_posix()}"',
    )
    show = folder / "gallery.toml"
    show.write_text(_absolute_paths(text), encoding="utf-8")
    return show


LOOKS = ((0.32, 0.40), (0.70, 0.62), (0.55, 0.30), (0.40, 0.66))
"""Where the synthetic visitor looks after a first sweep: 1.5 s to get there, 4.5 s held."""
SWEEP_SECONDS = 9.0
"""First the visitor's look sweeps across the lamp, never still long enough to dwell."""


def _look(seconds: float) -> tuple[float, float]:
    if seconds < SWEEP_SECONDS:
        share = seconds / SWEEP_SECONDS
        return 0.25 + 0.5 * share, 0.5 + 0.15 * math.sin(seconds * 1.3)
    index, into = divmod(seconds - SWEEP_SECONDS, 6.0)
    start = LOOKS[int(index - 1) % len(LOOKS)] if index else (0.75, 0.5)
    end = LOOKS[int(index) % len(LOOKS)]
    share = min(1.0, into / 1.5)
    share = share * share * (3.0 - 2.0 * share)  # eased
    return start[0] + (end[0] - start[0]) * share, start[1] + (end[1] - start[1]) * share


def _absolute_paths(text: str) -> str:
    """The shipped show's relative paths, made absolute for a copy in another folder."""
    return text.replace('"../', f'"{ROOT.as_posix()}/')


def shots(scratch: Path) -> dict[str, Callable[[], list[Shot]]]:
    configs = ROOT / "show_configs"

    def default() -> list[Shot]:
        grab = Step(8.0, grab="show_default_fullscreen.png")
        return [Shot("default", configs / "default.toml", (grab,))]

    def stage() -> list[Shot]:
        stage_show = configs / "stage.toml"
        return [
            Shot(
                "stage game",
                stage_show,
                (
                    Step(6.0, keys=("5",)),
                    Step(8.0, keys=("1",)),
                    Step(10.0, grab="stage_game_board.png"),
                ),
            ),
            Shot(
                "stage overlay and a revealed rainbow",
                stage_show,
                (
                    Step(5.0, keys=("Tab",)),
                    Step(6.0, keys=("r",)),
                    Step(12.0, grab="show_stage_overlay_fullscreen.png"),
                ),
            ),
            Shot(
                "stage rainbow steered over OSC",
                stage_show,
                (
                    Step(5.0, keys=("Tab",), osc=("/scene rainbow",)),
                    Step(8.0, osc=("/rainbow/latent 0.2 0.8",)),
                    Step(9.0, osc=("/rainbow/latent 0.25 0.75",)),
                    Step(13.0, grab="show_stage_osc_steered.png"),
                ),
            ),
            Shot(
                "stage rainbow of an external game's end",
                stage_show,
                (
                    Step(5.0, osc=('/game/over "Team blue" 3 7',)),
                    Step(9.0, grab="rainbow_stage_1080p.png"),
                ),
            ),
            Shot(
                "stage attract games: their ends (one frame a second, to pick from)",
                stage_show,
                tuple(Step(float(t), grab=f"burst/stage_end_{t}.png") for t in range(34, 60)),
            ),
        ]

    def gallery() -> list[Shot]:
        show = _gallery_with_visitor(scratch)
        video = ["--camera", str(scratch / "visitor.avi")]
        return [
            Shot(
                "gallery with a visitor",
                show,
                (
                    Step(4.0, keys=("Tab",)),
                    Step(9.0, grab="gallery_gaze_lava.png"),
                    *(Step(float(t), grab=f"burst/gallery_{t}.png") for t in range(13, 23)),
                ),
                tuple(video),
            )
        ]

    return {"default": default, "stage": stage, "gallery": gallery}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs")
    parser.add_argument("--only", choices=("default", "stage", "gallery"), action="append")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, x_server() as env:
        makers = shots(Path(scratch))
        for name in args.only or list(makers):
            for shot in makers[name]():
                take(shot, env, args.out.resolve())


if __name__ == "__main__":
    main()
