"""Q-learning by self-play for the tic-tac-toe agent (numpy-free, one core, seconds).

The table holds Q(s, a): the value of move ``a`` for the player to move in board ``s``, with
``s`` in its canonical form under the square's 8 symmetries (627 boards to learn instead of
4,520). Both players share the table; an update is the negamax form of Q-learning:

    Q(s, a) <- Q(s, a) + alpha * (target - Q(s, a))
    target = 1 (the move wins) | 0 (it draws) | -gamma * max_a' Q(s', a') (else: the
             opponent's best value in the board that follows is the mover's loss)

Moves are epsilon-greedy, epsilon falling linearly from ``epsilon_start`` to ``epsilon_end``.
Every ``check_every`` episodes the greedy policy is checked exhaustively against every line of
play of an opponent, as X and as O; training ends when it loses none and has run at least
``min_episodes`` (or at ``episodes``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from installation.scenes.tictactoe_agent import QTable
from installation.scenes.tictactoe_board import (
    EMPTY,
    Board,
    O,
    X,
    canonical,
    finished,
    key,
    moves,
    play,
    to_move,
    winner,
)


@dataclass(frozen=True)
class TrainSettings:
    episodes: int = 200_000
    min_episodes: int = 50_000
    learning_rate: float = 0.3
    discount: float = 0.95
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    check_every: int = 10_000
    seed: int = 0


@dataclass
class TrainResult:
    table: QTable
    episodes: int
    cpu_seconds: float
    checks: list[dict[str, float]] = field(default_factory=list)


def _row(q: dict[int, list[float]], board: Board) -> tuple[list[float], dict[int, int]]:
    """The board's Q row (created at 0) and a map from board cells to row indices."""
    form, mapping = canonical(board)
    row = q.setdefault(key(form), [0.0] * 9)
    return row, {mapping[c]: c for c in range(9)}


def losing_lines(table: QTable) -> tuple[int, int]:
    """(finished games the greedy agent lost, positions visited) over every line of play of an
    opponent who tries every move, with the agent as X and as O."""
    lost = visited = 0

    def walk(board: Board, agent: int) -> None:
        nonlocal lost, visited
        visited += 1
        if finished(board):
            lost += winner(board) not in (0, agent)
            return
        if to_move(board) == agent:
            walk(play(board, table.best(board)), agent)
            return
        for cell in moves(board):
            walk(play(board, cell), agent)

    walk(EMPTY, X)
    walk(EMPTY, O)
    return lost, visited


def train(
    settings: TrainSettings, progress: Callable[[int, int], None] | None = None
) -> TrainResult:
    rng = random.Random(settings.seed)
    q: dict[int, list[float]] = {}
    started = time.process_time()
    checks: list[dict[str, float]] = []
    episode = 0
    for episode in range(1, settings.episodes + 1):
        share = episode / settings.episodes
        epsilon = settings.epsilon_start + (settings.epsilon_end - settings.epsilon_start) * share
        board = EMPTY
        while not finished(board):
            row, index = _row(q, board)
            options = moves(board)
            if rng.random() < epsilon:
                cell = rng.choice(options)
            else:
                cell = max(options, key=lambda c: row[index[c]])
            after = play(board, cell)
            if winner(after):
                target = 1.0
            elif finished(after):
                target = 0.0
            else:
                next_row, next_index = _row(q, after)
                best = max(next_row[next_index[c]] for c in moves(after))
                target = -settings.discount * best
            slot = index[cell]
            row[slot] += settings.learning_rate * (target - row[slot])
            board = after
        if episode % settings.check_every == 0:
            lost, _ = losing_lines(QTable({k: tuple(v) for k, v in q.items()}, {}))
            checks.append({"episode": episode, "losing_lines": lost})
            if progress is not None:
                progress(episode, lost)
            if lost == 0 and episode >= settings.min_episodes:
                break
    about = {
        "trained": "tabular Q-learning by self-play (installation train tictactoe)",
        "settings": asdict(settings),
        "episodes": episode,
        "cpu_seconds": round(time.process_time() - started, 2),
        "boards": len(q),
    }
    table = QTable({k: tuple(v) for k, v in q.items()}, about)
    return TrainResult(table, episode, time.process_time() - started, checks)
