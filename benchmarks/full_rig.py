"""The whole stage rig at once, headless: does the show hold its frames and its memory?

The stage game show left to its attract loop, with at the same time:
- the camera on a video file (a synthetic visitor, looped), so the gaze thread works;
- OSC faders: ``/rainbow/latent`` at ``--osc-rate`` messages a second (1,000 by default);
- an external ``/game/over`` every 10 s;
- posting to a file target: every game's and OSC's rainbow, and a frame every 20 s, with the
  default hourly cap (20), so posts queue behind it as they do on a busy day;
and the show's resident memory sampled every 10 s. It reports on_time_ratio,
game_over_to_frame p99 and the memory's growth after the first minute (BENCHMARKS.md).

    python benchmarks/full_rig.py --seconds 1800 --json benchmarks/results/full_rig.json
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from gaze import GEOMETRY
from headless_run import ROOT, steal_seconds
from memory_soak import least_squares_slope, rss_kb
from osc_show import stage_show

sys.path.insert(0, str(ROOT))

from pythonosc.osc_message_builder import OscMessageBuilder

from tests.synthetic_gaze import SyntheticCamera, write_video

POSTING = """
[posting]
folder = "{folder}/posting"
[posting.targets.archive]
kind = "file"
folder = "{folder}/posted"
[posting.rainbows]
triggers = ["game", "attract", "osc"]
targets = ["archive"]
[posting.frames]
every_seconds = 20
targets = ["archive"]
"""
FIRST_MINUTE_S = 60.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rig_show(folder: Path, port: int) -> Path:
    show = stage_show(folder, osc={"port": port, "rate_limit": 5000, "rate_burst": 5000})
    text = show.read_text(encoding="utf-8") + POSTING.format(folder=folder.as_posix())
    show.write_text(text, encoding="utf-8")
    return show


def visitor_video(folder: Path, seconds: float = 20.0) -> Path:
    camera = SyntheticCamera(GEOMETRY)
    rng = np.random.default_rng(3)
    pose, look = camera.nominal_pose(), camera.random_appearance(rng)
    frames = [
        camera.render((0.5 + 0.3 * np.sin(i / 40), 0.5 + 0.2 * np.cos(i / 50)), pose, look, rng)
        for i in range(int(seconds * 30))
    ]
    video = folder / "visitor.avi"
    write_video(video, frames, fps=30.0)
    return video


def message(address: str, *values: Any) -> bytes:
    builder = OscMessageBuilder(address)
    for value in values:
        builder.add_arg(value)
    return bytes(builder.build().dgram)


def faders(port: int, rate: float, stop: threading.Event, sent: list[int]) -> None:
    """``/rainbow/latent x y`` at ``rate`` a second, in 10 ms batches."""
    pool = [message("/rainbow/latent", 0.5 + 0.4 * np.sin(i / 50), 0.5) for i in range(1000)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        start, count = time.perf_counter(), 0
        while not stop.is_set():
            due = start + count / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(min(wait, 0.01))
                continue
            for _ in range(max(1, round(rate * 0.01))):
                sock.sendto(pool[count % len(pool)], ("127.0.0.1", port))
                count += 1
        sent.append(count)


def game_overs(port: int, stop: threading.Event, sent: list[int]) -> None:
    """An external game's end every 10 s."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        count = 0
        while not stop.wait(10.0):
            count += 1
            sock.sendto(message("/game/over", "Rig", float(count), count), ("127.0.0.1", port))
        sent.append(count)


def run(seconds: float, osc_rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="full_rig_") as name:
        folder = Path(name)
        port = free_udp_port()
        show = rig_show(folder, port)
        video = visitor_video(folder)
        stats_path = folder / "stats.json"
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        command = [sys.executable, "-m", "installation", "--quiet", "run", str(show),
                   "--headless", "--seconds", str(seconds), "--stats", str(stats_path),
                   "--camera", str(video)]  # fmt: skip
        stolen = steal_seconds()
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, cwd=ROOT)
        time.sleep(8.0)  # models loaded, first frame up
        stop = threading.Event()
        fader_count: list[int] = []
        over_count: list[int] = []
        senders = [
            threading.Thread(target=faders, args=(port, osc_rate, stop, fader_count)),
            threading.Thread(target=game_overs, args=(port, stop, over_count)),
        ]
        for sender in senders:
            sender.start()
        samples: list[tuple[float, int]] = []
        try:
            while process.poll() is None:
                kb = rss_kb(process.pid)
                if kb is not None:
                    samples.append((round(time.monotonic() - started, 1), kb))
                time.sleep(10.0)
        finally:
            stop.set()
            for sender in senders:
                sender.join()
        if process.returncode != 0:
            raise SystemExit(f"the show exited with {process.returncode}")
        stats: dict[str, Any] = json.loads(stats_path.read_text(encoding="utf-8"))
        posted = len(list((folder / "posted").rglob("*.json")))
    after = [(t, kb) for t, kb in samples if t >= FIRST_MINUTE_S]
    counters = stats.get("counters", {})
    return {
        "command": f"python benchmarks/full_rig.py --seconds {seconds:g} --osc-rate {osc_rate:g}",
        "on_time_ratio": stats["on_time_ratio"],
        "late_frames": stats["late_frames"],
        "frames": stats["frames"],
        "game_over_to_frame_ms": stats.get("timings_ms", {}).get("game_over_to_frame", {}),
        "osc_sent": fader_count[0] if fader_count else 0,
        "game_overs_sent": over_count[0] if over_count else 0,
        "posts_written": posted,
        "counters": {k: counters[k] for k in sorted(counters) if k.startswith(("posts_", "osc_"))},
        "rss_mb_at_60s": round(after[0][1] / 1024, 1) if after else None,
        "rss_mb_at_end": round(after[-1][1] / 1024, 1) if after else None,
        "growth_mb_after_first_minute": (
            round((after[-1][1] - after[0][1]) / 1024, 2) if after else None
        ),
        "slope_kb_per_minute_after_first_minute": (
            round(least_squares_slope([(t / 60.0, float(kb)) for t, kb in after]), 1)
            if len(after) > 1
            else None
        ),
        "steal_ms": round((steal_seconds() - stolen) * 1000.0, 1),
        "samples_s_kb": samples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1800.0)
    parser.add_argument("--osc-rate", type=float, default=1000.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.seconds, args.osc_rate)
    text = json.dumps(result, indent=1)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    printed = {k: v for k, v in result.items() if k != "samples_s_kb"}
    print(json.dumps(printed, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
