"""The stage game as a visitor's evening: the attract loop for minutes, and games over OSC.

``attract``: ``installation run`` on a copy of ``show_configs/stage.toml`` for ``--seconds``
(600) with nobody playing: the agent plays itself, every game ends in a reveal, saved to the
gallery and posted to a file target. Checks on_time_ratio, and that every finished game has its
rainbow in the gallery and its post in the outbox (sent).

``latency``: the same show with two players (``opponent = "human"``) and a short rainbow hold;
an OSC client plays ``--games`` (30) seeded random games through ``/game/new`` and
``/game/move``, each after the last one's result card (``result_seconds``, 4 s: presses during
it are not played); ``timings_ms.game_over_to_frame`` is from the move that ends a game to the
present of the first frame of its rainbow (the cut to it starts then, under the result card).
Run twice (``--repeat 2``): the same move sequences must give byte-identical rainbow PNGs.

    python benchmarks/game_show.py attract --seconds 600 --json benchmarks/results/game_attract.json
    python benchmarks/game_show.py latency --games 30 --repeat 2
        --json benchmarks/results/game_latency.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from headless_run import ROOT
from osc_show import ShowProcess, encode, stage_show

sys.path.insert(0, str(ROOT))

from installation.scenes.tictactoe import game_seed
from installation.scenes.tictactoe_board import EMPTY, finished, moves, play

POSTING = """
[posting]
folder = "{folder}/data"
max_posts_per_hour = 1000
[posting.targets.archive]
kind = "file"
folder = "{folder}/posted"
[posting.rainbows]
triggers = ["game", "attract"]  # this benchmark posts the attract loop's games too
targets = ["archive"]
"""


def show_copy(folder: Path, human: bool) -> Path:
    show = stage_show(folder, name="stage_game.toml")
    text = show.read_text(encoding="utf-8")
    text = text.replace('"../exported_models/', f'"{(ROOT / "exported_models").as_posix()}/')
    if human:
        text = text.replace('opponent = "agent"', 'opponent = "human"')
        text = text.replace("return_after_seconds = 12", "return_after_seconds = 2")
        text = text.replace("hold_seconds = 10.0", "hold_seconds = 2.0")
    show.write_text(text + POSTING.format(folder=folder.as_posix()), encoding="utf-8")
    return show


def gallery(folder: Path) -> dict[int, str]:
    """seed -> SHA-256 of its PNG, for every game rainbow in the gallery."""
    found = {}
    for record_path in (folder / "gallery").glob("*.json"):
        record = json.loads(record_path.read_text())
        if record["trigger"] in ("game", "attract"):
            png = record_path.with_suffix(".png").read_bytes()
            found[int(record["seed"])] = hashlib.sha256(png).hexdigest()
    return found


def outbox_states(folder: Path) -> dict[str, int]:
    database = folder / "data" / "outbox.sqlite"
    if not database.exists():
        return {}
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT state, COUNT(*) FROM posts GROUP BY state").fetchall())


def attract(seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="game_attract_") as name:
        folder = Path(name)
        with ShowProcess(show_copy(folder, human=False), seconds, folder) as show:
            show.wait_ready()
            code, stats = show.finish(timeout=seconds + 120)
        counters = stats.get("counters", {})
        rainbows = gallery(folder)
        saved = sum(
            json.loads(path.read_text())["trigger"] in ("game", "attract")
            for path in (folder / "gallery").glob("*.json")
        )
        states = outbox_states(folder)
    games = counters.get("games_finished", 0)
    return {
        "exit_code": code,
        "on_time_ratio": stats["on_time_ratio"],
        "late_frames": stats["late_frames"],
        "frames": stats["frames"],
        "frame_interval_p99_ms": stats["frame_interval_ms"]["p99"],
        "games_finished": games,
        "draws": counters.get("draws", 0),
        "rainbows_in_gallery": saved,
        "distinct_rainbows": len(rainbows),
        "outbox": states,
        "game_over_to_frame_ms": stats.get("timings_ms", {}).get("game_over_to_frame"),
        "every_game_saved_and_posted": saved == games == states.get("sent", 0),
        "others_cpu_share": stats["others_cpu_share"],
        "steal_ms": stats["steal_ms"],
    }


def random_games(count: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    games = []
    for _ in range(count):
        board, sequence = EMPTY, list[int]()
        while not finished(board):
            cell = rng.choice(moves(board))
            board, sequence = play(board, cell), [*sequence, cell]
        games.append(sequence)
    return games


def latency(games: list[list[int]]) -> dict[str, Any]:
    seconds = 15.0 + 5.2 * len(games)  # start-up counts in the show's seconds
    with tempfile.TemporaryDirectory(prefix="game_latency_") as name:
        folder = Path(name)
        with ShowProcess(show_copy(folder, human=True), seconds, folder) as show:
            show.wait_ready()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for sequence in games:
                    sock.sendto(encode("/game/new"), ("127.0.0.1", show.port))
                    for cell in sequence:
                        time.sleep(0.08)
                        sock.sendto(encode("/game/move", cell), ("127.0.0.1", show.port))
                    # The result card's 4 s (over the rainbow, held 2 s, and over the game
                    # back on screen: presses then are not played), then a new game.
                    time.sleep(4.3)
            code, stats = show.finish(timeout=seconds + 120)
        rainbows = gallery(folder)
    counters = stats.get("counters", {})
    return {
        "exit_code": code,
        "games_finished": counters.get("games_finished", 0),
        "game_over_to_frame_ms": stats.get("timings_ms", {}).get("game_over_to_frame"),
        "on_time_ratio": stats["on_time_ratio"],
        "rainbows": {str(seed): digest for seed, digest in sorted(rainbows.items())},
        "others_cpu_share": stats["others_cpu_share"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("attract", "latency"))
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--games", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.mode == "attract":
        result: dict[str, Any] = attract(args.seconds)
        ok = result["every_game_saved_and_posted"] and result["on_time_ratio"] >= 0.995
    else:
        games = random_games(args.games, seed=13)
        runs = [latency(games) for _ in range(args.repeat)]
        expected = {str(game_seed(sequence)) for sequence in games}
        identical = all(run["rainbows"] == runs[0]["rainbows"] for run in runs)
        result = {
            "games": args.games,
            "runs": runs,
            "every_game_revealed": all(set(run["rainbows"]) == expected for run in runs),
            "identical_across_runs": identical,
        }
        ok = result["every_game_revealed"] and identical
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
