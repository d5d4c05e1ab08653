"""Gamepads plugged in and pulled out during a show: is every frame still on time?

Runs the default show headless in this process (``run_show``) with one extra main-thread input
source that, on a schedule, plugs in an SDL virtual game controller or a plain virtual
joystick, presses a button, moves a stick and pulls it out again. SDL reports these devices
exactly like USB pads (see tests/inputs/virtual_gamepad.py), so the show's window input opens
and closes them for real. Prints the run's figures; medians go to BENCHMARKS.md.

    python benchmarks/gamepad_hotplug.py --seconds 30 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from installation.app import RunOptions, run_show  # noqa: E402
from installation.inputs.base import InputSource, Post  # noqa: E402
from installation.scenes.registry import load_show  # noqa: E402
from tests.inputs.virtual_gamepad import GAMECONTROLLER, THROTTLE, VirtualGamepad  # noqa: E402


class HotplugScript(InputSource):
    """Every ``period`` seconds: plug a pad in, use it, and pull the previous one out."""

    name = "hotplug-script"
    polled = True

    def __init__(self, period: float, until: float) -> None:
        self.period = period
        self.until = until
        self.pads: list[VirtualGamepad] = []
        self.plugged = self.pulled = 0
        self._next = period
        self._step = 0

    def start(self, post: Post) -> None:
        self._post = post

    def poll(self, now: float) -> None:
        if now < self._next or now > self.until:
            return
        self._next += self.period
        self._step += 1
        if self.pads:  # pull out the one plugged in last time
            self.pads.pop().pull_out()
            self.pulled += 1
        controller = self._step % 2 == 1
        pad = (
            VirtualGamepad(GAMECONTROLLER, 6, 15, 0)
            if controller
            else VirtualGamepad(THROTTLE, 2, 4, 1)
        )
        pad.plug_in()
        pad.press(1)  # b on a controller (blackout toggles), button1 on a joystick (unbound)
        pad.press(1, down=False)
        pad.move_axis(0, 20000)
        self.pads.append(pad)
        self.plugged += 1

    def stop(self) -> None:
        for pad in self.pads:
            pad.pull_out()
        self.pads.clear()


def one_run(seconds: float, period: float) -> dict[str, Any]:
    config = load_show(ROOT / "show_configs" / "default.toml")
    script = HotplugScript(period, until=seconds - period / 2)  # SDL reports each before the end
    stats = run_show(config, RunOptions(headless=True, seconds=seconds), extra_sources=[script])
    result = stats.as_dict()
    result["plugged"], result["pulled"] = script.plugged, script.pulled
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--period", type=float, default=2.0, help="seconds between plug events")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    runs = [one_run(args.seconds, args.period) for _ in range(args.repeat)]
    print("| run | pads plugged / pulled | devices counted (in / out) | on-time | late | "
          "interval p50 / p99 / max ms |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for index, run in enumerate(runs, 1):
        counters, interval = run["counters"], run["frame_interval_ms"]
        print(
            f"| {index} | {run['plugged']} / {run['pulled']} | "
            f"{counters.get('devices_connected', 0)} / {counters.get('devices_removed', 0)} | "
            f"{run['on_time_ratio']:.4f} | {run['late_frames']} | "
            f"{interval['p50']:.2f} / {interval['p99']:.2f} / {interval['max']:.2f} |"
        )
    print(f"median on-time ratio {statistics.median(r['on_time_ratio'] for r in runs):.4f}")
    if args.json is not None:
        args.json.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
