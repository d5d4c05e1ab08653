"""Fault test of the posting outbox: SIGKILL at random points, a network that fails 30 %.

Queues ``--posts`` posts (200) spread over X, Mastodon and Bluesky, each pointed at its local
fake (tests/fake_services) that fails ``--failure-rate`` of all requests (429 with reset
headers, 500, 503, connections dropped before or after the effect, answers slower than the
client's timeout). Then runs ``installation outbox send`` as an operator would and SIGKILLs it
at a random moment, again and again, until a run ends by itself with nothing left to send.

The judge is each fake's own log of what it posted: every item must end ``sent`` (posted
exactly once) or ``unknown`` (posted at most once); none queued, failed or lost, none twice.

    python benchmarks/posting_faults.py --posts 200 --repeat 3
        --json benchmarks/results/posting_faults.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from headless_run import ROOT

sys.path.insert(0, str(ROOT))

from installation.outputs.publishers.outbox_store import OutboxStore
from installation.outputs.publishers.post_images import write_png
from tests.fake_services import FakeBluesky, FakeMastodon, FakeX, FaultPlan

X_KEYS = {
    "FAULT_X_CONSUMER_KEY": "fault-consumer-key",
    "FAULT_X_CONSUMER_SECRET": "fault-consumer-secret",
    "FAULT_X_ACCESS_TOKEN": "fault-access-token",
    "FAULT_X_ACCESS_TOKEN_SECRET": "fault-access-secret",
}
CREDENTIALS = {
    **X_KEYS,
    "FAULT_MASTODON_TOKEN": "fault-mastodon-token",
    "FAULT_BSKY_HANDLE": "fault.test",
    "FAULT_BSKY_PASSWORD": "fault-app-password",
}
TARGETS = ("x", "mastodon", "bluesky")

SHOW = """
[show]
name = "Posting fault test"
[posting]
folder = "{folder}/data"
timeout_seconds = {timeout}
retry_base_seconds = 0.05
retry_max_seconds = 0.5
max_attempts = 0
max_posts_per_hour = 10000
[posting.targets.x]
kind = "x"
base_url = "{x}"
consumer_key_env = "FAULT_X_CONSUMER_KEY"
consumer_secret_env = "FAULT_X_CONSUMER_SECRET"
access_token_env = "FAULT_X_ACCESS_TOKEN"
access_token_secret_env = "FAULT_X_ACCESS_TOKEN_SECRET"
chunk_bytes = 16384
[posting.targets.mastodon]
kind = "mastodon"
base_url = "{mastodon}"
access_token_env = "FAULT_MASTODON_TOKEN"
[posting.targets.bluesky]
kind = "bluesky"
base_url = "{bluesky}"
handle_env = "FAULT_BSKY_HANDLE"
app_password_env = "FAULT_BSKY_PASSWORD"
[models.rainbow]
path = "{root}/exported_models/rainbow.onnx"
kind = "generator"
[[scenes]]
kind = "rainbow"
model = "rainbow"
"""


def marker(number: int) -> str:
    return f"#item-{number}"


def images(folder: Path, rng: np.random.Generator) -> list[Path]:
    """A small image (one upload) and a larger one (X uploads it in chunks)."""
    small = write_png(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8), folder / "small.png")
    large = write_png(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8), folder / "large.png")
    return [small, large]


def queue_posts(database: Path, count: int, pictures: list[Path]) -> None:
    store = OutboxStore(database)
    for number in range(count):
        target = TARGETS[number % len(TARGETS)]
        caption = f"Fault test {marker(number)}"
        store.add(target, pictures[number % 2], caption, "Noise, for a test.", "bench", time.time())
    store.close()


def states(database: Path) -> Counter[str]:
    with sqlite3.connect(database) as db:
        return Counter(state for (state,) in db.execute("SELECT state FROM posts"))


def run_once(posts: int, failure_rate: float, seed: int, folder: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    timeout = 1.0

    def plan(offset: int) -> FaultPlan:
        return FaultPlan(failure_rate, seed + offset, slow_seconds=timeout * 1.5)

    fakes = {
        "x": FakeX(*X_KEYS.values(), faults=plan(0), log_path=folder / "x.jsonl"),
        "mastodon": FakeMastodon(
            CREDENTIALS["FAULT_MASTODON_TOKEN"],
            faults=plan(1),
            log_path=folder / "mastodon.jsonl",
        ),
        "bluesky": FakeBluesky(
            CREDENTIALS["FAULT_BSKY_HANDLE"],
            CREDENTIALS["FAULT_BSKY_PASSWORD"],
            faults=plan(2),
            log_path=folder / "bluesky.jsonl",
        ),
    }
    for fake in fakes.values():
        fake.reset_seconds = 0.5
        fake.start()
    try:
        show = folder / "show.toml"
        show.write_text(
            SHOW.format(
                folder=folder.as_posix(),
                timeout=timeout,
                root=ROOT.as_posix(),
                **{name: fake.url for name, fake in fakes.items()},
            ),
            encoding="utf-8",
        )
        database = folder / "data" / "outbox.sqlite"
        queue_posts(database, posts, images(folder, np.random.default_rng(seed)))
        env = dict(os.environ, **CREDENTIALS)
        command = [sys.executable, "-m", "installation", "--quiet", "outbox", "send",
                   "--show", str(show)]  # fmt: skip
        kills = mid_post = 0
        started = time.monotonic()
        log = (folder / "send.log").open("ab")
        while True:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                code = process.wait(timeout=rng.uniform(0.5, 4.0))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                mid_post += states(database)["sending"] > 0
                continue
            if code != 0:
                tail = (folder / "send.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"outbox send exited {code}:\n{tail}")
            if states(database)["queued"] == 0:
                break
        elapsed = time.monotonic() - started
        return judge(database, fakes, kills, mid_post, elapsed, posts)
    finally:
        for fake in fakes.values():
            fake.stop()


def judge(
    database: Path, fakes: dict[str, Any], kills: int, mid_post: int, elapsed: float, posts: int
) -> dict[str, Any]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT caption, target, state FROM posts").fetchall()
    posted: Counter[tuple[str, str]] = Counter()
    for name, fake in fakes.items():
        for post in fake.posts():
            for word in str(post.get("text", "")).split():
                if word.startswith("#item-"):
                    posted[(name, word)] += 1
    problems: list[str] = []
    if len(rows) != posts:
        problems.append(f"{posts - len(rows)} of {posts} posts lost from the outbox")
    unknown_posted = 0
    for caption, target, state in rows:
        mark = caption.split()[-1]
        times = posted[(target, mark)]
        if state == "sent" and times != 1:
            problems.append(f"{mark} to {target} is sent but was posted {times} times")
        elif state == "unknown" and times > 1:
            problems.append(f"{mark} to {target} is unknown and was posted {times} times")
        elif state not in ("sent", "unknown"):
            problems.append(f"{mark} to {target} ended {state}")
        unknown_posted += state == "unknown" and times == 1
    faults: Counter[str] = Counter()
    requests = 0
    for fake in fakes.values():
        for request in fake.requests:
            requests += 1
            if request.get("fault"):
                faults[str(request["fault"])] += 1
    by_target = {
        name: dict(Counter(state for _, target, state in rows if target == name)) for name in fakes
    }
    return {
        "ok": not problems,
        "problems": problems[:20],
        "items": len(rows),
        "states": dict(Counter(state for _, _, state in rows)),
        "lost": posts - len(rows),
        "duplicates": sum(times - 1 for times in posted.values() if times > 1),
        "stuck_sending": sum(state == "sending" for _, _, state in rows),
        "by_target": by_target,
        "unknown_but_posted": unknown_posted,
        "kills": kills,
        "kills_while_sending": mid_post,
        "requests": requests,
        "faults": dict(faults),
        "elapsed_s": round(elapsed, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    for index in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="posting_faults_") as folder:
            result = run_once(args.posts, args.failure_rate, args.seed + index * 10, Path(folder))
        runs.append(result)
        print(json.dumps(result))
    summary = {
        "posts": args.posts,
        "failure_rate": args.failure_rate,
        "runs": runs,
        "all_ok": all(run["ok"] for run in runs),
        "median_kills": statistics.median(run["kills"] for run in runs),
        "median_unknown": statistics.median(run["states"].get("unknown", 0) for run in runs),
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print("all ok" if summary["all_ok"] else "PROBLEMS: see the runs above")
    return 0 if summary["all_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
