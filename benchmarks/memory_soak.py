"""Memory soak: does a long headless run of a show keep its resident memory flat?

Writes a temporary copy of a show (default: ``show_configs/default.toml``) with its frame rate
raised (default ``fps = 240``, so 30 minutes hold as many frames as 4 hours at 30 fps) and its
model paths made absolute, runs ``installation run COPY --headless --seconds S --stats ...`` in a
subprocess (the path a user runs), samples the process's resident memory (VmRSS) every few
seconds, and writes a JSON report: RSS at 60 s and at the end, growth after the first minute,
frames, growth per 1,000 frames, and every sample. Issue 10's measure: growth under 10 MB.

Before the run it times one ``RunStats.frame`` and one ``ModelStats.record`` in this process
(``record_cost_ns``): what the frame loop pays per frame for its statistics.

    python benchmarks/memory_soak.py --seconds 1800
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import timeit
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHOW = ROOT / "show_configs" / "default.toml"
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "memory_soak.json"
FIRST_MINUTE_S = 60.0

_FPS_LINE = re.compile(r"^(\s*fps\s*=\s*)[0-9.]+", re.MULTILINE)
_PATH_LINE = re.compile(r'^(\s*path\s*=\s*)"([^"]*)"', re.MULTILINE)


def soak_show(show: Path, fps: int) -> str:
    """The show's TOML with ``fps`` set and every ``path = "..."`` made absolute."""
    text = show.read_text(encoding="utf-8")
    text, replaced = _FPS_LINE.subn(lambda m: f"{m.group(1)}{fps}", text, count=1)
    if replaced != 1:
        raise SystemExit(f"{show}: no 'fps = N' line to change")

    def absolute(match: re.Match[str]) -> str:
        path = Path(match.group(2))
        resolved = path if path.is_absolute() else (show.parent / path).resolve()
        return f"{match.group(1)}{json.dumps(str(resolved))}"

    text = _PATH_LINE.sub(absolute, text)
    parsed = tomllib.loads(text)
    if parsed["show"]["fps"] != fps:
        raise SystemExit(f"{show}: the fps line changed is not [show] fps")
    for name, model in parsed.get("models", {}).items():
        if not Path(model["path"]).is_file():
            raise SystemExit(f"{show}: model {name!r} not found at {model['path']}")
    return text


def rss_kb(pid: int) -> int | None:
    """The process's resident set size in KiB (VmRSS), or None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except (FileNotFoundError, ProcessLookupError):
        return None
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


def record_cost_ns(repeat: int = 200_000) -> dict[str, float]:
    """Nanoseconds per ``RunStats.frame`` and per ``ModelStats.record`` (best of 5)."""
    sys.path.insert(0, str(ROOT))
    from installation.loop.stats import RunStats
    from installation.models.latency import ModelStats

    stats = RunStats(fps_target=30.0)
    model = ModelStats(provider="CPUExecutionProvider")
    frame = timeit.Timer(lambda: stats.frame(33.4, 1.2)).repeat(5, repeat)
    run = timeit.Timer(lambda: model.record(1.1)).repeat(5, repeat)
    empty = timeit.Timer(lambda: None).repeat(5, repeat)  # the lambda call itself
    base = min(empty) / repeat * 1e9
    return {
        "run_stats_frame": round(min(frame) / repeat * 1e9 - base, 1),
        "model_stats_record": round(min(run) / repeat * 1e9 - base, 1),
    }


def git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def least_squares_slope(points: list[tuple[float, float]]) -> float:
    """Slope of y over x (units of y per unit of x); 0.0 for fewer than two points."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0.0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def soak(show: Path, fps: int, seconds: float, interval: float, workdir: Path) -> dict[str, Any]:
    """Run the show headless for ``seconds`` and sample its memory; the figures."""
    copy = workdir / f"soak_{fps}fps.toml"
    copy.write_text(soak_show(show, fps), encoding="utf-8")
    stats_path = workdir / "stats.json"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    command = [sys.executable, "-m", "installation", "--quiet", "run", str(copy), "--headless",
               "--seconds", str(seconds), "--stats", str(stats_path)]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    samples: list[tuple[float, int]] = []
    while process.poll() is None:
        kb = rss_kb(process.pid)
        if kb is not None and process.poll() is None:
            samples.append((round(time.monotonic() - started, 1), kb))
        time.sleep(interval)
    if process.returncode != 0:
        raise SystemExit(f"the show exited with {process.returncode}: {' '.join(command)}")
    stats: dict[str, Any] = json.loads(stats_path.read_text(encoding="utf-8"))

    after = [(t, kb) for t, kb in samples if t >= FIRST_MINUTE_S]
    if not after:
        raise SystemExit(f"no sample after {FIRST_MINUTE_S:g} s: run for longer")
    at_minute, at_end = after[0][1], after[-1][1]
    growth_kb = at_end - at_minute
    duration = float(stats["duration_s"]) or 1.0
    frames = int(stats["frames"])
    frames_after = frames * max(0.0, after[-1][0] - after[0][0]) / duration
    return {
        "command": " ".join(command[1:]).replace(str(copy), f"<{show.name} at fps {fps}>"),
        "fps_target": fps,
        "seconds": seconds,
        "frames": frames,
        "fps_measured": stats["fps_measured"],
        "rss_mb_at_60s": round(at_minute / 1024, 1),
        "rss_mb_at_end": round(at_end / 1024, 1),
        "rss_mb_max": round(max(kb for _, kb in samples) / 1024, 1),
        "growth_mb_after_first_minute": round(growth_kb / 1024, 2),
        "growth_kb_per_1000_frames": (
            round(growth_kb / (frames_after / 1000), 3) if frames_after else None
        ),
        "slope_kb_per_minute_after_first_minute": round(
            least_squares_slope([(t / 60.0, float(kb)) for t, kb in after]), 2
        ),
        "stats": stats,
        "samples_s_kb": samples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("show", nargs="?", type=Path, default=DEFAULT_SHOW)
    parser.add_argument("--fps", type=int, default=240, help="frame rate of the copy (240)")
    parser.add_argument("--seconds", type=float, default=1800.0, help="run length (1800)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON to write")
    args = parser.parse_args()
    if args.seconds <= FIRST_MINUTE_S:
        parser.error(f"--seconds must be over {FIRST_MINUTE_S:g}")

    costs = record_cost_ns()
    with tempfile.TemporaryDirectory(prefix="memory_soak_") as workdir:
        figures = soak(args.show.resolve(), args.fps, args.seconds, args.interval, Path(workdir))
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(),
        "record_cost_ns": costs,
    } | figures
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"{figures['command']}  (commit {report['commit'][:10]})")
    print(f"frames {figures['frames']} at {figures['fps_measured']} fps")
    print(f"RSS at 60 s {figures['rss_mb_at_60s']} MB, at the end {figures['rss_mb_at_end']} MB")
    print(f"growth after the first minute {figures['growth_mb_after_first_minute']} MB, "
          f"{figures['growth_kb_per_1000_frames']} KB per 1,000 frames, "
          f"slope {figures['slope_kb_per_minute_after_first_minute']} KB/min")  # fmt: skip
    print(f"per record: RunStats.frame {costs['run_stats_frame']} ns, "
          f"ModelStats.record {costs['model_stats_record']} ns")  # fmt: skip
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
