"""OSC trigger benchmark: ``/rainbow/trigger N`` from two OSC implementations into the stage show.

Each run starts the real CLI, ``installation run STAGE --headless --seconds S --stats ...
--osc-port N`` (a temporary copy of ``show_configs/stage.toml`` with its gallery in a
temporary folder and one ``[[osc.targets]]`` peer, this script, that hears
``/installation/rainbow/shown``), waits for ``/pong``, then:

1. sends ``/rainbow/trigger 7`` with liblo's ``oscsend localhost PORT /rainbow/trigger i 7``
   and, 2 s later, with python-osc's ``SimpleUDPClient``; the gallery must get a PNG + JSON
   with ``"seed": 7`` for each, and each PNG must be byte-identical to what
   ``installation rainbow --seed 7 -o X.png`` writes (pixels are compared when not);
2. sends ``--triggers`` more triggers (distinct seeds, alternately oscsend and python-osc),
   one every ``--spacing`` seconds (jittered by +-25 %, so triggers arrive at every phase of
   a frame), so each reveal is on screen before the next replaces it.

Reported per run: the stats' ``timings_ms.trigger_to_frame`` (datagram arrival to the present
of the first frame showing the new rainbow; bar: p99 <= 100 ms) over all reveals of the run,
``on_time_ratio``, and the time from sending to hearing ``/installation/rainbow/shown`` (the
show emits it when the image is ready, before its frame is presented; oscsend's figure
includes starting the oscsend process). Small defaults; the BENCHMARKS.md figures came from

    python benchmarks/osc_trigger.py --triggers 30 --spacing 2 --repeat 3 \
        --json benchmarks/results/osc_trigger.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from headless_run import ROOT
from osc_show import OscPeer, ShowProcess, median, percentile, stage_show
from PIL import Image
from pythonosc.udp_client import SimpleUDPClient

IDENTITY_SEED = 7


class ShownListener(OscPeer):
    """The show's ``[[osc.targets]]`` peer: when each ``/installation/rainbow/shown`` arrived."""

    def __init__(self) -> None:
        self.shown: dict[int, list[float]] = {}
        super().__init__()

    def heard(self, address: str, params: list[Any], at: float) -> None:
        if address == "/installation/rainbow/shown":
            self.shown.setdefault(int(params[0]), []).append(at)


def send_trigger(sender: str, port: int, seed: int, client: SimpleUDPClient) -> float:
    """Send ``/rainbow/trigger seed`` with ``oscsend`` or python-osc; when it was sent."""
    sent = time.perf_counter()
    if sender == "oscsend":
        subprocess.run(
            ["oscsend", "localhost", str(port), "/rainbow/trigger", "i", str(seed)], check=True
        )
    else:
        client.send_message("/rainbow/trigger", seed)
    return sent


def gallery_records(folder: Path) -> list[dict[str, Any]]:
    """Every gallery JSON, oldest first, with the PNG path beside it."""
    records = []
    for path in sorted(folder.glob("*.json")):
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        record["png_path"] = str(path.with_name(record["image"]))
        records.append(record)
    return records


def compare_png(png: Path, reference: Path) -> dict[str, Any]:
    """Byte identity with the reference PNG; when not identical, how far the pixels differ."""
    if png.read_bytes() == reference.read_bytes():
        return {"identical_bytes": True}
    ours = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    theirs = np.asarray(Image.open(reference).convert("RGB"), dtype=np.int16)
    if ours.shape != theirs.shape:
        return {"identical_bytes": False, "shape": [list(ours.shape), list(theirs.shape)]}
    diff = np.abs(ours - theirs)
    return {
        "identical_bytes": False,
        "identical_pixels": bool(not diff.any()),
        "max_abs_diff": int(diff.max()),
        "pixels_differing": int(diff.any(axis=2).sum()),
    }


def one_run(
    index: int, folder: Path, reference: Path, triggers: int, spacing: float
) -> dict[str, Any]:
    listener = ShownListener()
    show = stage_show(folder, targets=[("127.0.0.1", listener.port)])
    seconds = 2 * spacing + triggers * spacing + 5.0
    sends: list[dict[str, Any]] = []
    with ShowProcess(show, seconds, folder) as process:
        ready_s = process.wait_ready()
        client = SimpleUDPClient("127.0.0.1", process.port)
        plan = [("oscsend", IDENTITY_SEED), ("python-osc", IDENTITY_SEED)]
        plan += [
            ("oscsend" if n % 2 == 0 else "python-osc", 1000 + 100 * index + n)
            for n in range(triggers)
        ]
        # Jittered, so that triggers land at every phase of the frame (exactly 2 s apart,
        # every trigger of a run would arrive at the same point of a frame: 60 frames later).
        jitter = random.Random(index)
        start = time.perf_counter()
        for n, (sender, seed) in enumerate(plan):
            due = start + n * spacing + jitter.uniform(-0.25, 0.25) * spacing
            time.sleep(max(0.0, due - time.perf_counter()))
            sent = send_trigger(sender, process.port, seed, client)
            sends.append({"sender": sender, "seed": seed, "sent": sent})
        time.sleep(spacing)
        code, stats = process.finish()
    listener.close()
    records = gallery_records(folder / "gallery")
    by_seed: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        by_seed.setdefault(int(record["seed"]), []).append(record)
    identity = []
    sevens = by_seed.get(IDENTITY_SEED, [])
    for (sender, _), record in zip(plan[:2], sevens, strict=False):
        identity.append(
            {"sender": sender, "json": Path(record["png_path"]).with_suffix(".json").name}
            | compare_png(Path(record["png_path"]), reference)
        )
    shown_ms: dict[str, list[float]] = {"oscsend": [], "python-osc": []}
    seen: dict[int, int] = {}
    for send in sends:
        arrivals = listener.shown.get(send["seed"], [])
        k = seen.get(send["seed"], 0)
        seen[send["seed"]] = k + 1
        if k < len(arrivals):
            shown_ms[send["sender"]].append((arrivals[k] - send["sent"]) * 1000.0)
    timed_seeds = [seed for _, seed in plan[2:]]
    result = {
        "exit_code": code,
        "ready_s": round(ready_s, 2),
        "stats": stats,
        "sent": len(plan),
        "identity": identity,
        "sevens_in_gallery": len(sevens),
        "timed_seeds_in_gallery": sum(1 for seed in timed_seeds if seed in by_seed),
        "gallery_records": len(records),
        "shown_ms": {name: [round(v, 2) for v in values] for name, values in shown_ms.items()},
    }
    return result


def summary(run: dict[str, Any]) -> dict[str, Any]:
    stats = run["stats"]
    trigger = stats.get("timings_ms", {}).get("trigger_to_frame", {})
    both = run["shown_ms"]["oscsend"] + run["shown_ms"]["python-osc"]
    return {
        "exit": run["exit_code"],
        "reveals": stats.get("counters", {}).get("images_revealed", 0),
        "applied": stats.get("counters", {}).get("osc_applied", 0),
        "t2f_count": trigger.get("count", 0),
        "t2f_p50": trigger.get("p50", float("nan")),
        "t2f_p99": trigger.get("p99", float("nan")),
        "t2f_max": trigger.get("max", float("nan")),
        "on_time": stats.get("on_time_ratio", float("nan")),
        "late": stats.get("late_frames", -1),
        "shown_p50": median(run["shown_ms"]["python-osc"]),
        "shown_p99": percentile(run["shown_ms"]["python-osc"], 0.99),
        "shown_oscsend_p50": median(run["shown_ms"]["oscsend"]),
        "shown_all": len(both),
        "steal_ms": stats.get("steal_ms", 0.0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=5, help="timed triggers after the two 7s")
    parser.add_argument("--spacing", type=float, default=2.0, help="seconds between triggers")
    parser.add_argument(
        "--seconds",
        type=float,
        help="length of the timed part instead of --triggers (seconds / spacing triggers)",
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every run's figures and stats here")
    args = parser.parse_args()
    if shutil.which("oscsend") is None:
        print("oscsend not found: apt-get install liblo-tools", file=sys.stderr)
        return 2
    triggers = int(args.seconds / args.spacing) if args.seconds else args.triggers
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        reference = Path(tmp) / "reference_seed7.png"
        subprocess.run(
            [sys.executable, "-m", "installation", "--quiet", "rainbow", "--seed",
             str(IDENTITY_SEED), "-o", str(reference)],
            check=True, cwd=ROOT,
        )  # fmt: skip
        for index in range(args.repeat):
            folder = Path(tmp) / f"run{index}"
            folder.mkdir()
            run = one_run(index, folder, reference, triggers, args.spacing)
            runs.append(run)
            row = summary(run)
            print(f"run {index + 1}: {row}", file=sys.stderr)
            print(f"  identity: {run['identity']}", file=sys.stderr)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.repeat} runs, 2 + {triggers} triggers "
        f"{args.spacing:g} s apart.\n"
    )
    print(
        "| run | exit | seed-7 PNGs identical (oscsend, python-osc) | reveals / sent "
        "| trigger-to-frame p50 / p99 / max ms | on-time | late | sent to /shown p50 / p99 ms "
        "(python-osc) | steal ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for index, run in enumerate(runs):
        row = summary(run)
        same = ", ".join(
            "yes" if item["identical_bytes"] else f"no ({item})" for item in run["identity"]
        )
        print(
            f"| {index + 1} | {row['exit']} | {same or 'missing'} | {row['reveals']} / "
            f"{run['sent']} | {row['t2f_p50']:.1f} / {row['t2f_p99']:.1f} / {row['t2f_max']:.1f} "
            f"| {row['on_time']:.5f} | {row['late']} | {row['shown_p50']:.1f} / "
            f"{row['shown_p99']:.1f} | {row['steal_ms']:.0f} |"
        )
    rows = [summary(run) for run in runs]
    print(
        f"\nMedians over runs: trigger-to-frame p50 {median([r['t2f_p50'] for r in rows]):.1f} "
        f"ms, p99 {median([r['t2f_p99'] for r in rows]):.1f} ms, on-time "
        f"{median([r['on_time'] for r in rows]):.5f}"
    )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    ok = all(
        r["exit"] == 0 and r["t2f_p99"] <= 100.0 and r["reveals"] == run["sent"]
        for r, run in zip(rows, runs, strict=True)
    ) and all(
        len(run["identity"]) == 2 and all(item["identical_bytes"] for item in run["identity"])
        for run in runs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
