"""Tic-tac-toe rules: boards, wins, the 8 symmetries of the square, and a perfect player.

A board is a tuple of 9 cells, row by row (cell 0 top left, 8 bottom right): 0 empty, 1 X,
2 O. X moves first. Pure functions, no state: the game scene, the agent and its training and
evaluation all share them.
"""

from __future__ import annotations

import random
from functools import cache

Board = tuple[int, ...]
EMPTY: Board = (0,) * 9
X, O = 1, 2  # noqa: E741 - the marks are called X and O
LINES: tuple[tuple[int, int, int], ...] = (
    (0, 1, 2), (3, 4, 5), (6, 7, 8),  # rows
    (0, 3, 6), (1, 4, 7), (2, 5, 8),  # columns
    (0, 4, 8), (2, 4, 6),  # diagonals
)  # fmt: skip


def _transforms() -> tuple[tuple[int, ...], ...]:
    """The 8 symmetries as index maps: ``transformed[i] = board[map[i]]``."""
    rotate = (6, 3, 0, 7, 4, 1, 8, 5, 2)
    mirror = (2, 1, 0, 5, 4, 3, 8, 7, 6)
    maps = [tuple(range(9))]
    for _ in range(3):
        maps.append(tuple(maps[-1][rotate[i]] for i in range(9)))
    maps += [tuple(m[mirror[i]] for i in range(9)) for m in maps[:4]]
    return tuple(maps)


SYMMETRIES = _transforms()


def to_move(board: Board) -> int:
    """Whose turn it is (X when the counts are equal)."""
    return X if board.count(X) == board.count(O) else O


def winning_line(board: Board) -> tuple[int, int, int] | None:
    """The first line that is all one mark, if any."""
    for line in LINES:
        a, b, c = line
        if board[a] and board[a] == board[b] == board[c]:
            return line
    return None


def winner(board: Board) -> int:
    """X or O when a line is theirs, else 0."""
    line = winning_line(board)
    return 0 if line is None else board[line[0]]


def finished(board: Board) -> bool:
    return bool(winner(board)) or all(board)


def moves(board: Board) -> list[int]:
    """The empty cells (none once the game is over)."""
    return [] if winner(board) else [i for i, cell in enumerate(board) if cell == 0]


def play(board: Board, cell: int) -> Board:
    if not 0 <= cell < 9 or board[cell] or winner(board):
        raise ValueError(f"cell {cell} cannot be played on {board}")
    return (*board[:cell], to_move(board), *board[cell + 1 :])


def key(board: Board) -> int:
    """The board as a base-3 number (0 .. 3**9 - 1)."""
    value = 0
    for cell in board:
        value = value * 3 + cell
    return value


def canonical(board: Board) -> tuple[Board, tuple[int, ...]]:
    """The smallest of the board's 8 symmetric forms, and the map that made it
    (``form[i] == board[map[i]]``): a cell ``c`` of the form is cell ``map[c]`` of the board."""
    best: tuple[Board, tuple[int, ...]] | None = None
    for mapping in SYMMETRIES:
        form = tuple(board[mapping[i]] for i in range(9))
        if best is None or form < best[0]:
            best = (form, mapping)
    assert best is not None
    return best


@cache
def value(board: Board) -> int:
    """The game's value for the player to move with perfect play: 1 win, 0 draw, -1 loss."""
    if winner(board):
        return -1  # the player who just moved won
    options = moves(board)
    if not options:
        return 0
    return max(-value(play(board, cell)) for cell in options)


def perfect_moves(board: Board) -> list[int]:
    """Every move that keeps the best value for the player to move."""
    options = moves(board)
    best = max(-value(play(board, cell)) for cell in options)
    return [cell for cell in options if -value(play(board, cell)) == best]


def perfect_move(board: Board, rng: random.Random) -> int:
    """A minimax player: one of the best moves, chosen at random."""
    return rng.choice(perfect_moves(board))
