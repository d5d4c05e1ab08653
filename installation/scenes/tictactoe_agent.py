"""The tic-tac-toe opponent: a tabular Q-learning agent's table, and how it picks a move.

The table (``exported_models/tictactoe_agent.json``, from ``installation train tictactoe``)
maps each board, in its canonical form under the square's 8 symmetries, to the learned value
of each move for the player to move. The agent plays the best of them; ``difficulty`` below 1
mixes in random moves (0 = always random, for beginners).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from installation.errors import ConfigError
from installation.scenes.tictactoe_board import Board, canonical, key, moves

FORMAT = "installation.tictactoe-q/1"


class AgentError(ConfigError):
    """The table file is missing or not an agent table."""


@dataclass(frozen=True)
class QTable:
    values: dict[int, tuple[float, ...]]
    """Canonical board key -> value of each of the 9 cells (of the canonical form)."""
    about: dict[str, object]

    def best(self, board: Board) -> int:
        """The move with the highest learned value (ties: the lowest cell)."""
        options = moves(board)
        form, mapping = canonical(board)
        row = self.values.get(key(form))
        if row is None:
            return options[0]
        by_cell = {mapping[c]: row[c] for c in range(9)}
        return max(options, key=lambda cell: (by_cell[cell], -cell))

    def choose(self, board: Board, rng: random.Random, difficulty: float = 1.0) -> int:
        if rng.random() >= difficulty:
            return rng.choice(moves(board))
        return self.best(board)

    def save(self, path: Path) -> None:
        data = {
            "format": FORMAT,
            "about": self.about,
            "q": {str(k): [round(v, 4) for v in row] for k, row in sorted(self.values.items())},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


def load_table(path: Path) -> QTable:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgentError(
            f"The tic-tac-toe agent {path} does not exist; train one with "
            "`installation train tictactoe` or fix the scene's agent path."
        ) from None
    except (OSError, ValueError) as exc:
        raise AgentError(f"The tic-tac-toe agent {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AgentError(f"{path} is not a tic-tac-toe agent table ({FORMAT})")
    try:
        values = {int(k): tuple(float(v) for v in row) for k, row in data["q"].items()}
        about = dict(data.get("about", {}))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AgentError(f"{path} is a damaged agent table ({exc!r}); train a new one") from None
    if any(len(row) != 9 for row in values.values()):
        raise AgentError(f"{path} is a damaged agent table (a row without 9 move values)")
    return QTable(values, about)
