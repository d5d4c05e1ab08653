"""The stage game: tic-tac-toe on the big screen, against the learning agent or a second player.

Players move with gamepads (the d-pad moves a preview of their mark, A places it), the
keyboard (1-9 place directly, arrows and Enter like a d-pad) or OSC (``/game/move i``,
``/game/new``). Left alone for ``idle_seconds``, the scene plays agent against agent as an
attract loop; the first press from anyone starts a real game and plays that press (the cell,
or the mark at the cursor). When a game ends the scene posts ``GameOver`` with a seed derived
from the move sequence (the same game, the same rainbow); the director turns it into a trigger
for the rainbow scene, which cuts to it as soon as its image is ready, and
``return_after_seconds`` of the rainbow scene brings the game back. The result card (the
headline and the result, ``tictactoe_card.py``) is the scene's ``card``: the director draws it
over the board, then over the rainbow, ``result_seconds`` from the game's end. The headline
keeps a band across the top of the screen (``keep_clear``): the operator's overlay goes
elsewhere.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from installation.canvas import Canvas, Colour, Point, Rect
from installation.config.schema import Colour as ColourField
from installation.config.schema import SceneSettings
from installation.events import Event, GameFinished, GameInput, GameOver, GameStarted
from installation.scenes.base import Card, Scene
from installation.scenes.tictactoe_agent import QTable, load_table
from installation.scenes.tictactoe_board import (
    EMPTY,
    Board,
    O,
    X,
    finished,
    moves,
    play,
    to_move,
    winner,
    winning_line,
)
from installation.scenes.tictactoe_card import ResultCard, headline_band, headline_place

Mode = Literal["attract", "playing", "result"]
MARKS = {X: "X", O: "O"}
STEPS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def game_seed(sequence: Sequence[int]) -> int:
    """The rainbow seed of a game: the same moves in the same order, the same seed."""
    digest = hashlib.sha256(("tictactoe:" + ",".join(map(str, sequence))).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class TicTacToeSettings(SceneSettings):
    """``kind = "tictactoe"``: the stage game (docs/stage-game.md)."""

    live_parameters: ClassVar[frozenset[str]] = frozenset({"difficulty", "idle_seconds"})

    kind: Literal["tictactoe"]
    agent: Path = Field(
        Path("../exported_models/tictactoe_agent.json"),
        description="the Q-table from `installation train tictactoe` (relative to the show)",
    )
    opponent: Literal["agent", "human"] = Field(
        "agent", description="agent: one player against the agent; human: two players"
    )
    agent_plays: Literal["X", "O"] = Field("O", description="the agent's mark (X moves first)")
    difficulty: float = Field(
        1.0, ge=0.0, le=1.0, description="share of the agent's moves it plays best (0 = random)"
    )
    agent_move_seconds: float = Field(0.6, ge=0.0, le=10.0, description="the agent 'thinks'")
    idle_seconds: float = Field(
        30.0, ge=1.0, le=3600.0, description="no input for this long: the attract loop plays"
    )
    attract_move_seconds: float = Field(
        0.8, ge=0.05, le=10.0, description="between moves of the attract loop"
    )
    attract_difficulty: float = Field(
        0.7, ge=0.0, le=1.0, description="attract games mix in random moves, so they end"
    )
    attract_reveals: bool = Field(True, description="attract games end in a rainbow too")
    result_seconds: float = Field(4.0, ge=0.0, le=60.0, description="the result card stays")
    rainbow_scene: str = Field("rainbow", min_length=1, description="the scene a game ends in")
    win_caption: str = Field(
        "{winner} won in {moves} moves", description="the result on a win: {winner}, {moves}"
    )
    draw_caption: str = Field(
        "A draw in {moves} moves", description="the result on a draw: {moves}"
    )
    background: ColourField = Field((8, 10, 24), description="[R, G, B] behind the board")
    grid: ColourField = Field((235, 235, 245), description="[R, G, B] of the grid lines")
    x_colour: ColourField = Field((255, 92, 92), description="[R, G, B] of the X marks")
    o_colour: ColourField = Field((80, 200, 255), description="[R, G, B] of the O marks")
    text: ColourField = Field((255, 255, 255), description="[R, G, B] of the headline")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="the agent's random choices")


class TicTacToeScene(Scene[TicTacToeSettings]):
    """The game, its attract loop and its result card; draws with canvas primitives only."""

    def __init__(
        self,
        settings: TicTacToeSettings,
        post: Callable[[Event], None],
        emit: Callable[[Event], None],
        table: QTable | None = None,
    ) -> None:
        super().__init__(settings)
        self.table = table or load_table(settings.agent)
        self._post = post
        self._emit = emit
        self._rng = random.Random(settings.seed)
        self.board: Board = EMPTY
        self.sequence: list[int] = []
        self.mode: Mode = "attract"
        self.cursor = 4
        self.players: dict[str, int] = {}
        """Which mark each input source plays in a two-player game (first come, X)."""
        self._last_input: float | None = None
        """When a player last touched anything (None: nobody yet: the attract loop plays)."""
        self._next_move_at = 0.0
        self._result_until = 0.0
        self.result = ""
        self._card: ResultCard | None = None

    # Scene contract --------------------------------------------------------------------

    def activate(self, now: float) -> None:
        self._next_move_at = max(self._next_move_at, now + self.settings.attract_move_seconds)

    def deactivate(self) -> None:
        return None

    def reset(self, now: float) -> None:
        self._new_game("attract", now)
        self._card = None

    def card(self) -> Card | None:
        """The result card, from the game's end until it has faded out."""
        return self._card

    def keep_clear(self, size: tuple[int, int]) -> list[Rect]:
        """The headline's band across the top (the whole width: any headline fits in it, and
        an overlay placed clear of it does not move as the headline changes)."""
        return [headline_band(size)]

    def update(self, now: float, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, GameInput):
                self._input(event, now)
        if self._card is not None and now >= self._card.until:
            self._card = None
        if self.mode == "result":
            if now >= self._result_until:
                self._new_game("attract" if self._idle(now) else "playing", now)
            return
        if self.mode == "playing" and self._idle(now):
            self._new_game("attract", now)
        if self._agent_turn() and now >= self._next_move_at:
            difficulty = self.settings.difficulty
            if self.mode == "attract":
                difficulty = self.settings.attract_difficulty
            self._place(self.table.choose(self.board, self._rng, difficulty), now)

    # Input ----------------------------------------------------------------------------

    def _idle(self, now: float) -> bool:
        last = self._last_input
        return last is None or now - last >= self.settings.idle_seconds

    def _input(self, event: GameInput, now: float) -> None:
        self._last_input = now
        if self.mode == "result":
            # The result card stays its result_seconds (over the rainbow): a press only tells
            # the scene that someone is there, so a real game follows, not the attract loop.
            return
        if self.mode != "playing" or event.action == "new":
            # The first press from anyone starts a real game, and plays what it says: a cell,
            # the place-mark button (the centre), a cursor move. ``new`` and ``any`` only start.
            self._new_game("playing", now)
            self._emit(GameStarted(self.name, event.source))
            if event.action in ("new", "any"):
                return
        if event.action in STEPS:
            dx, dy = STEPS[event.action]
            column, row = self.cursor % 3, self.cursor // 3
            self.cursor = min(2, max(0, row + dy)) * 3 + min(2, max(0, column + dx))
            return
        cell = self.cursor if event.action == "place" else event.cell
        if cell is None or self._agent_turn() or not self._source_may_move(event.source):
            return
        if cell in moves(self.board):
            self.cursor = cell
            self._place(cell, now)

    def _source_may_move(self, source: str) -> bool:
        """Two players with gamepads: each pad keeps the mark it first played."""
        if self.settings.opponent != "human" or not source.startswith("gamepad"):
            return True
        mark = self.players.setdefault(source, X if not self.players else O)
        return mark == to_move(self.board)

    def _agent_turn(self) -> bool:
        if finished(self.board):
            return False
        if self.mode == "attract":
            return True
        agent = X if self.settings.agent_plays == "X" else O
        return self.settings.opponent == "agent" and to_move(self.board) == agent

    # Game -----------------------------------------------------------------------------

    def _new_game(self, mode: Mode, now: float) -> None:
        self.board, self.sequence, self.mode, self.result = EMPTY, [], mode, ""
        self.players, self.cursor = {}, 4
        self._next_move_at = now + (
            self.settings.attract_move_seconds
            if mode == "attract"
            else self.settings.agent_move_seconds
        )

    def _place(self, cell: int, now: float) -> None:
        self.board = play(self.board, cell)
        self.sequence.append(cell)
        pause = (
            self.settings.attract_move_seconds
            if self.mode == "attract"
            else self.settings.agent_move_seconds
        )
        self._next_move_at = now + pause
        if finished(self.board):
            self._game_over(now)

    def _game_over(self, now: float) -> None:
        won = winner(self.board)
        moves_made = len(self.sequence)
        if won:
            self.result = self.settings.win_caption.format(winner=MARKS[won], moves=moves_made)
        else:
            self.result = self.settings.draw_caption.format(moves=moves_made)
        agent = X if self.settings.agent_plays == "X" else O
        against_agent = self.mode == "playing" and self.settings.opponent == "agent"
        outcome = "draw" if not won else ("agent" if won == agent else "player")
        attract = self.mode == "attract"
        self._emit(
            GameFinished(
                self.name, MARKS.get(won, ""), moves_made, outcome if against_agent else "", attract
            )
        )
        if not attract or self.settings.attract_reveals:
            self._post(
                GameOver(
                    winner=MARKS.get(won, "nobody"),
                    score=moves_made,
                    seed=game_seed(self.sequence),
                    caption=self.result,
                    target=self.settings.rainbow_scene,
                    source=self.name,
                    attract=attract,
                )
            )
        self.mode = "result"
        self._result_until = now + self.settings.result_seconds
        if self.settings.result_seconds > 0:
            headline = "A rainbow is born"
            self._card = ResultCard(headline, self.result, self._result_until, self.settings.text)

    # Drawing --------------------------------------------------------------------------

    def draw(self, canvas: Canvas, alpha: float) -> None:
        width, height = canvas.size
        s = self.settings
        canvas.draw_rect((0, 0, width, height), s.background, alpha=alpha)
        side = min(width, height) * 0.66
        left, top = (width - side) / 2, (height - side) / 2 + height * 0.04
        cell = side / 3
        thick = max(2, round(side / 60))
        for i in (1, 2):
            canvas.draw_line(
                (left + i * cell, top),
                (left + i * cell, top + side),
                s.grid,
                alpha=alpha,
                width=thick,
            )
            canvas.draw_line(
                (left, top + i * cell),
                (left + side, top + i * cell),
                s.grid,
                alpha=alpha,
                width=thick,
            )
        for index, mark in enumerate(self.board):
            if mark:
                self._mark(canvas, mark, self._centre(index, left, top, cell), cell, alpha)
        if self.mode == "playing" and not self._agent_turn() and self.board[self.cursor] == 0:
            centre = self._centre(self.cursor, left, top, cell)
            self._mark(canvas, to_move(self.board), centre, cell, alpha * 0.35)
            x, y = centre
            canvas.draw_rect(
                (x - cell / 2 + thick, y - cell / 2 + thick, cell - 2 * thick, cell - 2 * thick),
                s.text,
                alpha=alpha * 0.6,
                width=thick,
            )
        line = winning_line(self.board)
        if line is not None:
            start = self._centre(line[0], left, top, cell)
            end = self._centre(line[2], left, top, cell)
            canvas.draw_line(start, end, s.text, alpha=alpha, width=thick * 3)
        if self._card is None:  # the result card has a headline of its own
            top, text = headline_place(height)
            canvas.draw_text(
                self._headline(), (width / 2, top), s.text, size=text, alpha=alpha, anchor="top"
            )

    def _headline(self) -> str:
        if self.mode == "attract":
            return "Press any button to play"
        if self.mode == "result":
            return "Game over"  # (a game without a card: result_seconds = 0)
        mark = MARKS[to_move(self.board)]
        if self._agent_turn():
            return f"The machine plays {mark}"
        if self.settings.opponent == "agent":
            return f"Your move ({mark})"
        return f"{mark} to move"

    @staticmethod
    def _centre(index: int, left: float, top: float, cell: float) -> Point:
        return (left + (index % 3 + 0.5) * cell, top + (index // 3 + 0.5) * cell)

    def _mark(self, canvas: Canvas, mark: int, centre: Point, cell: float, alpha: float) -> None:
        x, y = centre
        r = cell * 0.3
        width = max(3, round(cell / 12))
        colour: Colour = self.settings.x_colour if mark == X else self.settings.o_colour
        if mark == X:
            canvas.draw_line((x - r, y - r), (x + r, y + r), colour, alpha=alpha, width=width)
            canvas.draw_line((x - r, y + r), (x + r, y - r), colour, alpha=alpha, width=width)
        else:
            canvas.draw_circle((x, y), r, colour, alpha=alpha, width=width)
