"""The stage game in a live headless show: two (virtual) gamepads play a game, an OSC client
plays one, an external game ends one over OSC; each ends in a revealed, saved, posted rainbow."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from installation.app import RunOptions, run_show
from installation.commands.rainbow import StillRequest, render_still
from installation.inputs.base import InputSource, Post
from installation.scenes.registry import load_show
from installation.scenes.tictactoe import game_seed
from tests.conftest import ShowWriter
from tests.inputs.virtual_gamepad import GAMECONTROLLER, VirtualGamepad
from tests.test_app_osc import free_udp_port, wait_for_show

AGENT = (Path(__file__).parents[1] / "exported_models" / "tictactoe_agent.json").as_posix()
SHOW = f"""
[show]
name = "Game test"
crossfade_seconds = 0.2
[display]
render_size = [320, 180]
[gallery]
folder = "gallery"
[osc]
port = {{port}}
[controls]
[controls.gamepad_buttons]
a = "game:place"
dpleft = "game:left"
dpright = "game:right"
dpup = "game:up"
dpdown = "game:down"
start = "game:new"
[posting]
folder = "data"
[posting.targets.archive]
kind = "file"
folder = "posted"
[posting.rainbows]
triggers = ["game"]
targets = ["archive"]
caption = "{{caption}} ({{show}})"
[models.gen]
path = "{{models}}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "tictactoe"
name = "game"
agent = "{AGENT}"
opponent = "human"
[[scenes]]
kind = "rainbow"
model = "gen"
reveal_seconds = 0.1
return_after_seconds = 1.5
"""
A, START, UP, DOWN, LEFT, RIGHT = 0, 6, 11, 12, 13, 14
# X (pad 0): 4, 0, 2, 6 wins the diagonal; O (pad 1): 3, 8, 1. The cursor starts at the centre.
SCRIPT = [
    (0, START), (0, A),
    (1, LEFT), (1, A),
    (0, UP), (0, A),
    (1, DOWN), (1, DOWN), (1, RIGHT), (1, RIGHT), (1, A),
    (0, UP), (0, UP), (0, A),
    (1, LEFT), (1, A),
    (0, DOWN), (0, DOWN), (0, LEFT), (0, A),
]  # fmt: skip
MOVES = [4, 3, 0, 8, 2, 1, 6]


class TwoPads(InputSource):
    """Plugs in two SDL virtual game controllers and plays ``SCRIPT`` on them, a press a step."""

    name = "two virtual pads"
    polled = True

    def __init__(self, start: float, step: float) -> None:
        self.start_at, self.step = start, step
        self.pads = [VirtualGamepad(GAMECONTROLLER), VirtualGamepad(GAMECONTROLLER)]
        self.done = 0
        self._began: float | None = None
        self._released: tuple[int, int] | None = None

    def start(self, post: Post) -> None:
        for pad in self.pads:
            pad.plug_in()

    def poll(self, now: float) -> None:
        if self._began is None:
            self._began = now
        if self._released is not None:  # release last frame's button
            pad, button = self._released
            self.pads[pad].press(button, down=False)
            self._released = None
        due = self._began + self.start_at + self.done * self.step
        if self.done < len(SCRIPT) and now >= due:
            pad, button = SCRIPT[self.done]
            self.pads[pad].press(button)
            self._released = (pad, button)
            self.done += 1

    def stop(self) -> None:
        for pad in self.pads:
            pad.pull_out()


def the_rainbow(folder: Path, seed: int, model: Path, tmp_path: Path) -> dict[str, object]:
    """The gallery record of seed ``seed``; its PNG is exactly `installation rainbow --seed`."""
    (record_path,) = [p for p in folder.glob("*.json") if json.loads(p.read_text())["seed"] == seed]
    record: dict[str, object] = json.loads(record_path.read_text())
    still = tmp_path / f"still_{seed}.png"
    render_still(StillRequest(output=still, model=model, seed=seed))
    shown = np.asarray(PILImage.open(record_path.with_suffix(".png")))
    np.testing.assert_array_equal(shown, np.asarray(PILImage.open(still)))
    return record


def test_two_gamepads_play_a_game_that_ends_in_a_posted_rainbow(
    write_show: ShowWriter, tmp_path: Path, model_dir: Path
) -> None:
    config = load_show(write_show(SHOW.replace("{port}", str(free_udp_port()))))
    pads = TwoPads(start=1.0, step=0.15)
    options = RunOptions(headless=True, seconds=6.5, osc=False)
    stats = run_show(config, options, extra_sources=[pads])
    counters = stats.counters()
    assert pads.done == len(SCRIPT)
    assert counters["games_started"] == 1 and counters["games_finished"] == 1
    record = the_rainbow(tmp_path / "gallery", game_seed(MOVES), model_dir / "gen64.onnx", tmp_path)
    assert record["trigger"] == "game" and record["caption"] == "X won in 7 moves"
    (post,) = [json.loads(p.read_text()) for p in (tmp_path / "posted").glob("post-*.json")]
    assert post["text"] == "X won in 7 moves (Game test)"
    assert stats.as_dict()["timings_ms"]["game_over_to_frame"]["count"] == 1


def test_a_game_over_osc_and_an_external_game_over(
    write_show: ShowWriter, tmp_path: Path, model_dir: Path
) -> None:
    port = free_udp_port()
    config = load_show(write_show(SHOW.replace("{port}", str(port))))

    def play() -> None:
        client = wait_for_show(port)
        client.send_message("/game/new", [])
        for cell in MOVES:
            time.sleep(0.1)
            client.send_message("/game/move", [cell])
        time.sleep(2.5)  # the rainbow, and back to the game
        client.send_message("/game/over", ["Team blue", 42, 1234])
        client.send_message("/game/move", [9])  # refused: cells are 0..8

    threading.Thread(target=play).start()
    stats = run_show(config, RunOptions(headless=True, seconds=5.5))
    counters = stats.counters()
    assert counters["games_started"] == 1 and counters["games_finished"] == 2
    assert counters["osc_rejected"] == 1
    gallery, model = tmp_path / "gallery", model_dir / "gen64.onnx"
    assert the_rainbow(gallery, game_seed(MOVES), model, tmp_path)["caption"] == "X won in 7 moves"
    external = the_rainbow(gallery, 1234, model, tmp_path)
    assert external["caption"] == "Team blue won with 42" and external["trigger"] == "game"
    texts = sorted(json.loads(p.read_text())["text"] for p in (tmp_path / "posted").glob("*.json"))
    assert texts == ["Team blue won with 42 (Game test)", "X won in 7 moves (Game test)"]
