"""How good the shipped agent is: against a uniformly random player and a perfect one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from installation.scenes.tictactoe_agent import QTable
from installation.scenes.tictactoe_board import (
    EMPTY,
    Board,
    O,
    X,
    finished,
    moves,
    perfect_move,
    play,
    to_move,
    winner,
)

Player = Callable[[Board], int]


@dataclass(frozen=True)
class Tally:
    """Games of the agent against one opponent, the agent playing ``mark``."""

    opponent: str
    mark: str
    games: int
    wins: int
    draws: int
    losses: int

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def play_game(x: Player, o: Player) -> int:
    """The winner (X, O) or 0 for a draw."""
    board = EMPTY
    while not finished(board):
        board = play(board, (x if to_move(board) == X else o)(board))
    return winner(board)


def tally(table: QTable, opponent: str, games: int, agent_mark: int, seed: int) -> Tally:
    rng = random.Random(seed)

    def agent(board: Board) -> int:
        return table.best(board)

    def other(board: Board) -> int:
        if opponent == "random":
            return rng.choice(moves(board))
        return perfect_move(board, rng)

    wins = draws = losses = 0
    for _ in range(games):
        result = play_game(agent, other) if agent_mark == X else play_game(other, agent)
        if result == 0:
            draws += 1
        elif result == agent_mark:
            wins += 1
        else:
            losses += 1
    mark = "X" if agent_mark == X else "O"
    return Tally(opponent, mark, games, wins, draws, losses)


def evaluate(table: QTable, random_games: int, perfect_games: int, seed: int = 0) -> list[Tally]:
    return [
        tally(table, "random", random_games, X, seed),
        tally(table, "random", random_games, O, seed + 1),
        tally(table, "minimax", perfect_games, X, seed + 2),
        tally(table, "minimax", perfect_games, O, seed + 3),
    ]
