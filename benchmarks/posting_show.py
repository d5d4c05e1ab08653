"""Does posting cost the show frames? A headless stage show posting to all three networks.

Runs ``installation run`` on a copy of ``show_configs/stage.toml`` for ``--seconds`` (60) with
posting to the local fakes of X, Mastodon and Bluesky (tests/fake_services) and to a file
target: a frame of the screen every ``--frame-every`` seconds (10) and a rainbow triggered over
OSC every ``--trigger-every`` seconds (8), each posted to all four targets. Each run is paired
with one of the same show with ``--no-posting``, so the cost of posting is a difference
measured on the same machine minutes apart.

    python benchmarks/posting_show.py --seconds 60 --repeat 3
        --json benchmarks/results/posting_show.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from headless_run import ROOT
from osc_show import ShowProcess, encode, stage_show

sys.path.insert(0, str(ROOT))

from tests.fake_services import FakeBluesky, FakeMastodon, FakeX

KEYS = ("bench-consumer-key", "bench-consumer-secret", "bench-access-token", "bench-secret")
ENV = {
    "BENCH_X_CK": KEYS[0],
    "BENCH_X_CS": KEYS[1],
    "BENCH_X_AT": KEYS[2],
    "BENCH_X_ATS": KEYS[3],
    "BENCH_MASTODON_TOKEN": "bench-mastodon-token",
    "BENCH_BSKY_HANDLE": "bench.test",
    "BENCH_BSKY_PASSWORD": "bench-app-password",
}

POSTING = """
[posting]
folder = "{folder}/data"
max_posts_per_hour = 1000
[posting.targets.x]
kind = "x"
base_url = "{x}"
consumer_key_env = "BENCH_X_CK"
consumer_secret_env = "BENCH_X_CS"
access_token_env = "BENCH_X_AT"
access_token_secret_env = "BENCH_X_ATS"
[posting.targets.mastodon]
kind = "mastodon"
base_url = "{mastodon}"
access_token_env = "BENCH_MASTODON_TOKEN"
[posting.targets.bluesky]
kind = "bluesky"
base_url = "{bluesky}"
handle_env = "BENCH_BSKY_HANDLE"
app_password_env = "BENCH_BSKY_PASSWORD"
[posting.targets.archive]
kind = "file"
folder = "{folder}/posted"
[posting.rainbows]
triggers = ["osc"]
targets = ["x", "mastodon", "bluesky", "archive"]
[posting.frames]
every_seconds = {frame_every}
targets = ["x", "mastodon", "bluesky", "archive"]
"""


def trigger_every(show: ShowProcess, every: float, stop: threading.Event) -> int:
    """``/rainbow/trigger N "caption"`` every ``every`` seconds; how many were sent."""
    import socket

    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while not stop.wait(every):
            sock.sendto(
                encode("/rainbow/trigger", 100 + sent, "Game over!"), ("127.0.0.1", show.port)
            )
            sent += 1
    return sent


def one_run(seconds: float, posting: bool, frame_every: float, every: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="posting_show_") as name:
        folder = Path(name)
        with (
            FakeX(*KEYS) as x,
            FakeMastodon(ENV["BENCH_MASTODON_TOKEN"]) as mastodon,
            FakeBluesky(ENV["BENCH_BSKY_HANDLE"], ENV["BENCH_BSKY_PASSWORD"]) as bluesky,
        ):
            show = stage_show(folder)
            if posting:
                show.write_text(
                    show.read_text(encoding="utf-8")
                    + POSTING.format(
                        folder=folder.as_posix(),
                        x=x.url,
                        mastodon=mastodon.url,
                        bluesky=bluesky.url,
                        frame_every=frame_every,
                    ),
                    encoding="utf-8",
                )
            os.environ.update(ENV)
            stop = threading.Event()
            sent: list[int] = []
            with ShowProcess(show, seconds, folder) as process:
                process.wait_ready()
                sender = threading.Thread(
                    target=lambda: sent.append(trigger_every(process, every, stop))
                )
                sender.start()
                code, stats = process.finish(timeout=seconds + 120)
                stop.set()
                sender.join()
            if code != 0:
                raise RuntimeError(f"the show exited {code}:\n{process.log_text()[-3000:]}")
            counters = stats.get("counters", {})
            posted = {name: len(fake.posts()) for name, fake in
                      (("x", x), ("mastodon", mastodon), ("bluesky", bluesky))}  # fmt: skip
            files = len(list((folder / "posted").glob("post-*.json")))
    capture = stats.get("timings_ms", {}).get("frame_capture", {})
    return {
        "posting": posting,
        "on_time_ratio": stats["on_time_ratio"],
        "late_frames": stats["late_frames"],
        "frames": stats["frames"],
        "frame_interval_p99_ms": stats["frame_interval_ms"]["p99"],
        "frame_interval_max_ms": stats["frame_interval_ms"]["max"],
        "frame_capture_ms": capture,
        "triggers_sent": sent[0] if sent else 0,
        "counters": {
            k: v for k, v in counters.items() if k.startswith(("posts_", "frames_", "images_"))
        },
        "posted": {**posted, "file": files},
        "others_cpu_share": stats["others_cpu_share"],
        "steal_ms": stats["steal_ms"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--frame-every", type=float, default=10.0)
    parser.add_argument("--trigger-every", type=float, default=8.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        for posting in (True, False):
            result = one_run(args.seconds, posting, args.frame_every, args.trigger_every)
            print(json.dumps(result), flush=True)
            runs.append(result)

    def median(posting: bool, key: str) -> float:
        return float(statistics.median(run[key] for run in runs if run["posting"] is posting))

    summary = {
        "seconds": args.seconds,
        "frame_every": args.frame_every,
        "trigger_every": args.trigger_every,
        "runs": runs,
        "median_on_time_posting": median(True, "on_time_ratio"),
        "median_on_time_baseline": median(False, "on_time_ratio"),
        "median_p99_posting_ms": median(True, "frame_interval_p99_ms"),
        "median_p99_baseline_ms": median(False, "frame_interval_p99_ms"),
        "min_on_time_posting": min(r["on_time_ratio"] for r in runs if r["posting"]),
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
