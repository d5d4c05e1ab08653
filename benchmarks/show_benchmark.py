"""Benchmark the frame loop: a show run headless with a 64x64 and a 256x256 test generator.

Runs ``installation run SHOW --headless --seconds S --stats ...`` in a subprocess (the same
path a user runs), REPEAT times per generator, and prints the median of each figure as a
Markdown table for BENCHMARKS.md. The generators are the random-weight models of
``tests/onnx_factory.py`` (real convolutions at full resolution), walked at 30 images/s.

    python benchmarks/show_benchmark.py --seconds 60 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from headless_run import ROOT, median_of, run_headless

sys.path.insert(0, str(ROOT))

from tests.onnx_factory import make_generator

SHOW = """
[show]
name = "benchmark {size}"
fps = 30

[models.gen]
path = "{path}"
kind = "generator"

[[scenes]]
kind = "latent_walk"
model = "gen"
frame_rate = 30.0
seconds_per_waypoint = 2.0
"""
GENERATORS: dict[int, dict[str, int]] = {
    64: {"channels": 8, "layers": 2},
    256: {"channels": 16, "layers": 3},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write all runs' stats here")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=sorted(GENERATORS),
        choices=sorted(GENERATORS),
        help="which test generators to run (default: all)",
    )
    args = parser.parse_args()
    rows = []
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            shape = GENERATORS[size]
            model = make_generator(
                Path(folder) / f"gen{size}.onnx",
                size=size,
                channels=shape["channels"],
                layers=shape["layers"],
            )
            show = Path(folder) / f"bench{size}.toml"
            show.write_text(SHOW.format(size=size, path=model.as_posix()), encoding="utf-8")
            results = []
            for index in range(args.repeat):
                stats = run_headless(show, args.seconds, Path(folder) / f"s{size}_{index}.json")
                results.append(stats)
                print(
                    f"{size}x{size} run {index + 1}: on_time {stats['on_time_ratio']}",
                    file=sys.stderr,
                )
            runs[f"{size}"] = results
            rows.append((size, results))
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.repeat} runs of {args.seconds:g} s each, "
        "medians over runs.\n"
    )
    print(
        "| generator | model p50 / p99 ms | on-time ratio | late frames | interval p50 / p95 / "
        "p99 / max ms | loop CPU p50 / p99 ms |"
    )
    print("|---|---|---|---|---|---|")
    for size, results in rows:

        def med(*keys: str, results: list[dict[str, Any]] = results) -> float:
            return median_of(results, *keys)

        print(
            f"| {size}x{size} | {med('models', 'gen', 'latency_ms', 'p50'):.2f} / "
            f"{med('models', 'gen', 'latency_ms', 'p99'):.2f} | "
            f"{med('on_time_ratio'):.4f} | {med('late_frames'):.0f} | "
            f"{med('frame_interval_ms', 'p50'):.2f} / {med('frame_interval_ms', 'p95'):.2f} / "
            f"{med('frame_interval_ms', 'p99'):.2f} / {med('frame_interval_ms', 'max'):.2f} | "
            f"{med('loop_cpu_ms', 'p50'):.2f} / {med('loop_cpu_ms', 'p99'):.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
