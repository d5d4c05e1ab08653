"""The stage game scene: moves, the agent, the attract loop, game over -> its rainbow."""

from __future__ import annotations

from pathlib import Path

import pytest

from installation.events import Event, GameFinished, GameInput, GameOver, GameStarted
from installation.scenes.tictactoe import TicTacToeScene, TicTacToeSettings, game_seed
from installation.scenes.tictactoe_agent import load_table
from installation.scenes.tictactoe_board import EMPTY, O, X, winner
from tests.fakes import RecordingCanvas

AGENT = Path(__file__).parents[2] / "exported_models" / "tictactoe_agent.json"


def scene(**settings: object) -> tuple[TicTacToeScene, list[Event], list[Event]]:
    posted: list[Event] = []
    emitted: list[Event] = []
    values = {"kind": "tictactoe", "agent": AGENT, "agent_move_seconds": 0.5, **settings}
    game = TicTacToeScene(TicTacToeSettings(**values), posted.append, emitted.append)
    game.activate(0.0)
    return game, posted, emitted


def press(game: TicTacToeScene, now: float, action: str, cell: int | None = None,
          source: str = "keyboard") -> None:  # fmt: skip
    game.update(now, [GameInput(action, cell, source)])


def test_the_first_press_starts_a_game_and_the_agent_answers() -> None:
    game, _, emitted = scene()
    press(game, 0.1, "place")
    assert game.mode == "playing" and game.board == EMPTY
    assert emitted == [GameStarted("game" if game.name == "game" else game.name, "keyboard")]
    press(game, 0.2, "cell", 4)
    assert game.board[4] == X
    game.update(0.4, [])
    assert game.board.count(O) == 0  # it "thinks" for agent_move_seconds
    game.update(0.8, [])
    assert game.board.count(O) == 1
    press(game, 0.9, "cell", 4)  # taken: nothing happens
    assert game.board.count(X) == 1


def test_a_game_against_the_agent_ends_in_a_rainbow_with_the_games_seed() -> None:
    game, posted, emitted = scene(agent_move_seconds=0.0)
    press(game, 0.0, "new")
    now = 0.0
    while game.mode == "playing":  # the player takes the first free cell, the agent answers
        now += 0.1
        free = [i for i, cell in enumerate(game.board) if cell == 0]
        press(game, now, "cell", free[0])
        game.update(now + 0.05, [])
    (over,) = [e for e in posted if isinstance(e, GameOver)]
    assert over.seed == game_seed(game.sequence) and over.target == "rainbow"
    (finished,) = [e for e in emitted if isinstance(e, GameFinished)]
    assert finished.outcome in ("agent", "draw") and not finished.attract  # it never loses
    assert finished.moves == len(game.sequence)
    if winner(game.board):
        assert over.caption == f"O won in {finished.moves} moves"


def test_the_same_moves_give_the_same_seed() -> None:
    assert game_seed([4, 0, 8, 2, 1]) == game_seed([4, 0, 8, 2, 1])
    assert game_seed([4, 0, 8, 2, 1]) != game_seed([4, 0, 8, 1, 2])


def test_left_alone_it_plays_itself_and_a_press_takes_over() -> None:
    game, posted, emitted = scene(attract_move_seconds=0.1, result_seconds=0.5)
    now = 0.0
    while not posted:
        now += 1 / 30
        game.update(now, [])
        assert now < 5
    (finished,) = [e for e in emitted if isinstance(e, GameFinished)]
    assert finished.attract and finished.outcome == ""
    game.update(now + 1.0, [])  # after the result card: another attract game
    assert game.mode == "attract"
    press(game, now + 1.1, "any", source="gamepad 0")
    assert game.mode == "playing" and game.board == EMPTY


def test_attract_games_can_end_without_a_rainbow() -> None:
    game, posted, _ = scene(attract_move_seconds=0.05, attract_reveals=False)
    for frame in range(200):
        game.update(frame / 30, [])
    assert not posted


def test_two_gamepads_each_keep_their_mark() -> None:
    game, _, _ = scene(opponent="human")
    press(game, 0.0, "new", source="gamepad 0")
    press(game, 0.1, "place", source="gamepad 0")  # centre: pad 0 is X
    press(game, 0.2, "place", source="gamepad 0")  # not its turn
    assert game.board.count(X) == 1
    press(game, 0.3, "left", source="gamepad 1")
    press(game, 0.4, "place", source="gamepad 1")
    assert game.board[3] == O
    press(game, 0.5, "cell", 0, source="gamepad 1")  # pad 1 plays O only
    assert game.board[0] == 0


def test_idle_players_give_way_to_the_attract_loop() -> None:
    game, _, _ = scene(idle_seconds=2.0)
    press(game, 0.0, "new")
    game.update(1.0, [])
    assert game.mode == "playing"
    game.update(2.5, [])
    assert game.mode == "attract"


def test_the_board_the_preview_and_the_result_are_drawn() -> None:
    game, _, _ = scene(opponent="human", result_seconds=5.0)
    canvas = RecordingCanvas((1280, 720))
    press(game, 0.0, "new")
    for now, cell in enumerate([0, 3, 1, 4]):
        press(game, float(now), "cell", cell)
    game.draw(canvas, 1.0)
    texts = [item.text for item in canvas.of("text")]
    assert texts == ["X to move"]
    assert len(canvas.of("line")) == 4 + 2 * 2  # the grid, two X (the cursor is on a mark)
    press(game, 4.5, "right")  # the cursor moves to the empty cell 5: a preview of X there
    canvas = RecordingCanvas((1280, 720))
    game.draw(canvas, 1.0)
    preview = [item for item in canvas.of("line") if item.alpha < 1.0]
    assert len(preview) == 2 and len(canvas.of("rect")) == 2  # background + cursor frame
    assert len(canvas.of("circle")) == 2
    press(game, 5.0, "cell", 2)  # X completes the top row
    canvas = RecordingCanvas((1280, 720))
    game.draw(canvas, 1.0)
    texts = [item.text for item in canvas.of("text")]
    assert "X won in 5 moves" in texts and "A rainbow is born" in texts
    line = [item for item in canvas.of("line") if item.colour == (255, 255, 255)]
    assert len(line) == 1  # the winning line


def test_a_missing_agent_table_says_what_to_do(tmp_path: Path) -> None:
    from installation.scenes.tictactoe_agent import AgentError

    with pytest.raises(AgentError, match="installation train tictactoe"):
        load_table(tmp_path / "missing.json")


def test_a_damaged_agent_table_is_a_clear_error(tmp_path: Path) -> None:
    from installation.scenes.tictactoe_agent import AgentError

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "installation.tictactoe-q/1", "q": {"1": [0.5]}}')
    with pytest.raises(AgentError, match="damaged agent table"):
        load_table(bad)
    bad.write_text('{"format": "something else"}')
    with pytest.raises(AgentError, match="is not a tic-tac-toe agent table"):
        load_table(bad)
