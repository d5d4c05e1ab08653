"""Benchmark the shipped shows headless: the default lava lamp and the stage rainbow show.

The stage show runs with ``auto_reveal_seconds`` set (default every 2 s) so that rainbows are
revealed without a person pressing a key; each reveal's trigger-to-frame time is recorded.
Medians over REPEAT runs of SECONDS each, printed as Markdown for BENCHMARKS.md.

    python benchmarks/shipped_shows.py --seconds 60 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from headless_run import ROOT, median_of, run_headless


def stage_variant(folder: Path, every: float) -> Path:
    """A copy of stage.toml that reveals a rainbow every ``every`` seconds on its own."""
    text = (ROOT / "show_configs" / "stage.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^auto_reveal_seconds = .*$", f"auto_reveal_seconds = {every}", text)
    text = re.sub(r"(?m)^hold_seconds = .*$", "hold_seconds = 1.0", text)
    text = text.replace('"../exported_models/', f'"{(ROOT / "exported_models").as_posix()}/')
    text = text.replace('folder = "../gallery"', f'folder = "{(folder / "gallery").as_posix()}"')
    path = folder / "stage_auto.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reveal-every", type=float, default=2.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--only", choices=["default", "stage"], help="run one of the two shows (default: both)"
    )
    args = parser.parse_args()
    all_runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        shows = {
            "default (lava lamp)": ROOT / "show_configs" / "default.toml",
            f"stage (rainbow, reveal every {args.reveal_every:g} s)": stage_variant(
                Path(tmp), args.reveal_every
            ),
        }
        for label, show in shows.items():
            if args.only and not label.startswith(args.only):
                continue
            runs = []
            for index in range(args.repeat):
                stats = run_headless(show, args.seconds, Path(tmp) / f"stats{index}.json")
                runs.append(stats)
                interval = stats["frame_interval_ms"]
                print(
                    f"{label} run {index + 1}: on_time {stats['on_time_ratio']}, late "
                    f"{stats['late_frames']}, interval p99 {interval['p99']} max {interval['max']} "
                    f"ms, loop CPU p50 {stats['loop_cpu_ms']['p50']} ms, "
                    f"steal {stats['steal_ms']} ms",
                    file=sys.stderr,
                )
            all_runs[label] = runs
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.repeat} runs of {args.seconds:g} s, medians.\n"
    )
    print(
        "| show | on-time ratio | late | interval p50 / p99 / max ms | loop CPU p50 / p99 ms "
        "| model p50 / p99 ms | reveals | trigger-to-frame p50 / p99 / max ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, runs in all_runs.items():
        model = next(iter(runs[0]["models"]))
        reveals = median_of(runs, "timings_ms", "trigger_to_frame", "count")
        trigger = (
            f"{median_of(runs, 'timings_ms', 'trigger_to_frame', 'p50'):.1f} / "
            f"{median_of(runs, 'timings_ms', 'trigger_to_frame', 'p99'):.1f} / "
            f"{median_of(runs, 'timings_ms', 'trigger_to_frame', 'max'):.1f}"
            if reveals == reveals
            else "-"
        )
        print(
            f"| {label} | {median_of(runs, 'on_time_ratio'):.4f} "
            f"| {median_of(runs, 'late_frames'):.0f} "
            f"| {median_of(runs, 'frame_interval_ms', 'p50'):.2f} / "
            f"{median_of(runs, 'frame_interval_ms', 'p99'):.2f} / "
            f"{median_of(runs, 'frame_interval_ms', 'max'):.2f} "
            f"| {median_of(runs, 'loop_cpu_ms', 'p50'):.2f} / "
            f"{median_of(runs, 'loop_cpu_ms', 'p99'):.2f} "
            f"| {median_of(runs, 'models', model, 'latency_ms', 'p50'):.2f} / "
            f"{median_of(runs, 'models', model, 'latency_ms', 'p99'):.2f} "
            f"| {reveals if reveals == reveals else 0:.0f} | {trigger} |"
        )
    if args.json:
        args.json.write_text(json.dumps(all_runs, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
