"""The stage game scene: moves, the agent, the attract loop, game over -> its rainbow."""

from __future__ import annotations

from pathlib import Path

import pytest

from installation.app import build_director, offline_kit
from installation.canvas import Rect
from installation.events import (
    Event,
    GameFinished,
    GameInput,
    GameOver,
    GameStarted,
    ImageRevealed,
)
from installation.loop.clock import ManualClock
from installation.loop.overlay import StatsOverlay
from installation.scenes.registry import load_show
from installation.scenes.tictactoe import TicTacToeScene, TicTacToeSettings, game_seed
from installation.scenes.tictactoe_agent import load_table
from installation.scenes.tictactoe_board import EMPTY, O, X, winner
from installation.scenes.tictactoe_card import FADE_SECONDS, headline_band, result_box
from tests.fakes import RecordingCanvas, fake_generator

AGENT = Path(__file__).parents[2] / "exported_models" / "tictactoe_agent.json"
STAGE = Path(__file__).parents[2] / "show_configs" / "stage.toml"


def overlap(a: Rect, b: Rect) -> bool:
    """Whether two rectangles share some area (touching is not overlapping)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


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
    press(game, 0.1, "any")  # a button that plays nothing only starts the game
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


@pytest.mark.parametrize(
    ("action", "cell", "played"), [("cell", 2, 2), ("place", None, 4)], ids=["cell", "place"]
)
def test_the_first_press_on_the_attract_board_plays_that_cell(
    action: str, cell: int | None, played: int
) -> None:
    game, _, emitted = scene(attract_move_seconds=0.1)
    for frame in range(1, 10):  # the attract loop has a game going
        game.update(frame / 30, [])
    assert game.mode == "attract" and game.board != EMPTY
    press(game, 0.5, action, cell, source="osc")  # /game/move 2, or the place-mark key
    assert game.mode == "playing" and game.sequence == [played]
    assert game.board[played] == X and game.board.count(X) == 1 and game.board.count(O) == 0
    assert emitted == [GameStarted(game.name, "osc")]
    game.update(1.1, [])  # the agent answers as in any game
    assert game.board.count(O) == 1


def test_the_first_press_is_not_played_when_the_agent_moves_first() -> None:
    game, _, _ = scene(agent_plays="X")
    press(game, 0.1, "cell", 4)
    assert game.mode == "playing" and game.board == EMPTY  # the agent's X comes first
    game.update(0.7, [])
    assert game.board.count(X) == 1


def test_presses_during_the_result_card_are_not_played() -> None:
    game, posted, _ = scene(opponent="human", result_seconds=4.0)
    press(game, 0.0, "new")
    for now, cell in enumerate([0, 3, 1, 4, 2]):  # X wins the top row at t = 4
        press(game, float(now), "cell", cell)
    assert game.mode == "result" and posted
    press(game, 5.0, "cell", 8)
    press(game, 6.0, "new")
    assert game.mode == "result" and game.result == "X won in 5 moves"  # the card stays
    game.update(8.0, [])
    assert game.mode == "playing" and game.board == EMPTY  # they pressed: not the attract loop


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


def test_an_attract_games_end_says_nobody_played_it() -> None:
    """The games the show plays with itself are not visitors' games: their GameOver says so,
    and the director makes their trigger ``attract`` (posting rules and the gallery tell)."""
    game, posted, _ = scene(attract_move_seconds=0.05)
    for frame in range(200):
        game.update(frame / 30, [])
    assert posted and all(isinstance(e, GameOver) and e.attract for e in posted)
    visitor, played, _ = scene()
    press(visitor, 0.0, "new")
    for when, cell in enumerate((0, 1, 2, 3, 4, 5, 6, 7, 8)):
        press(visitor, 1.0 + when, "cell", cell)
        visitor.update(1.5 + when, [])
    assert played and not any(e.attract for e in played if isinstance(e, GameOver))


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
    assert canvas.texts() == []  # the result is on the scene's card, drawn over it all
    line = [item for item in canvas.of("line") if item.colour == (255, 255, 255)]
    assert len(line) == 1  # the winning line
    card = game.card()
    assert card is not None and card.until > 10.0  # 5 s of result_seconds, then a fade
    card.draw(canvas, 5.0)
    assert canvas.texts() == ["A rainbow is born", "X won in 5 moves"]
    assert game.keep_clear((1280, 720)) == [headline_band((1280, 720))]
    assert card.keep_clear((1280, 720)) == [headline_band((1280, 720)), result_box((1280, 720))]


def test_the_result_card_fades_out_after_result_seconds_and_is_let_go() -> None:
    game, _, _ = scene(opponent="human", result_seconds=4.0)
    press(game, 0.0, "new")
    for move, cell in enumerate([0, 3, 1, 4, 2]):  # X wins the top row at t = 4
        press(game, float(move), "cell", cell)
    card = game.card()
    assert card is not None and card.until == 8.0 + FADE_SECONDS
    alphas = []
    for now in (4.0, 7.99, 8.0 + FADE_SECONDS / 2, card.until):
        canvas = RecordingCanvas((1280, 720))
        card.draw(canvas, now)
        alphas.append([item.alpha for item in canvas.of("text")])
    assert alphas == [[1.0, 1.0], [1.0, 1.0], [pytest.approx(0.5)] * 2, []]
    game.update(8.0, [])  # a new game under the fading card: its headline waits for the card
    assert game.mode == "playing" and game.card() is card
    canvas = RecordingCanvas((1280, 720))
    game.draw(canvas, 1.0)
    assert canvas.texts() == []
    game.update(card.until, [])
    assert game.card() is None
    game.draw(canvas, 1.0)
    assert canvas.texts() == ["X to move"]


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


def test_at_a_games_end_the_rainbow_comes_at_once_under_the_result_card() -> None:
    """The stage show: the cut to the rainbow starts the frame its image is ready (the game's
    end, with inline models), not when the result card's time is up; the card stays drawn over
    the rainbow result_seconds from the game's end, fades out, and is then drawn no more; the
    stats overlay keeps clear of it all the while."""
    config = load_show(STAGE)
    emitted: list[Event] = []
    director = build_director(config, {"rainbow": fake_generator()}, offline_kit(emitted.append))
    game, rainbow = director.scenes
    assert isinstance(game, TicTacToeScene)
    result_seconds = game.settings.result_seconds
    crossfade = config.show.crossfade_seconds
    return_after = rainbow.settings.return_after_seconds
    assert result_seconds > crossfade > 0 and return_after > result_seconds + FADE_SECONDS
    clock, step, size = ManualClock(), 1 / 32, (1280, 720)  # steps exact in binary
    director.start(clock.now())
    overlay = StatsOverlay(30, {"rainbow": "CPUExecutionProvider"})
    overlay.toggle()
    over_at: float | None = None
    result = ""
    card: dict[float, float] = {}  # when the result card was drawn (over all else): its alpha
    while over_at is None or clock.now() < over_at + result_seconds + 2:
        now = clock.now()
        director.update(now, [])
        if over_at is None and game.mode == "result":  # the attract game ended this frame
            over_at, result = now, game.result
            revealed = [e for e in emitted if isinstance(e, ImageRevealed)]
            assert [e.trigger for e in revealed] == ["attract"]  # its rainbow is made at once ...
            assert director.incoming is rainbow and director.fading  # ... and the cut begins
        canvas = RecordingCanvas(size)
        director.draw(canvas)
        texts = [item for item in canvas.drawn if item.what == "text" and item.text == result]
        if over_at is not None and texts:
            (text,) = texts
            images = [i for i, item in enumerate(canvas.drawn) if item.what == "image"]
            assert canvas.drawn.index(text) > max(images, default=-1)  # over the rainbow
            card[now - over_at] = text.alpha
            keep_clear = director.keep_clear(size)
            assert result_box(size) in keep_clear and headline_band(size) in keep_clear
            overlay_canvas = RecordingCanvas(size)
            overlay.draw(overlay_canvas, now, keep_clear)
            panel = overlay_canvas.of("rect")[0].geometry[0]
            assert not any(overlap(panel, rect) for rect in keep_clear)
        elif over_at is not None and now - over_at > crossfade:
            assert director.keep_clear(size) == []  # the rainbow keeps nothing clear
        if over_at is not None and now - over_at == crossfade:  # the cut is done
            assert director.current is rainbow and not director.fading
            assert canvas.of("image")[-1].alpha == 1.0
        clock.advance(step)
    assert over_at is not None, "the attract game never ended"
    assert director.current is rainbow  # (it stays return_after_seconds)
    # The card: from the game's end, fully there for result_seconds, then a short fade.
    shown = sorted(card)
    assert shown == [i * step for i in range(len(shown))]
    assert all(card[t] == 1.0 for t in shown if t < result_seconds)
    fading = [card[t] for t in shown if t >= result_seconds]
    assert fading and fading == sorted(fading, reverse=True) and fading[-1] < 0.1
    assert shown[-1] < result_seconds + FADE_SECONDS
