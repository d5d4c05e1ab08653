"""The stage game's rules, the agent's training and its evaluation."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from installation.cli import main
from installation.scenes.tictactoe_agent import load_table
from installation.scenes.tictactoe_board import (
    EMPTY,
    SYMMETRIES,
    canonical,
    perfect_moves,
    play,
    value,
    winner,
)
from installation.training.tictactoe.evaluate import evaluate
from installation.training.tictactoe.train import TrainSettings, losing_lines, train

SHIPPED = Path(__file__).parents[3] / "exported_models" / "tictactoe_agent.json"


def test_symmetric_boards_share_one_canonical_form() -> None:
    rng = random.Random(0)
    for _ in range(200):
        board = EMPTY
        for _ in range(rng.randrange(0, 7)):
            if winner(board):
                break
            board = play(board, rng.choice([i for i, c in enumerate(board) if c == 0]))
        forms = {canonical(tuple(board[m[i]] for i in range(9)))[0] for m in SYMMETRIES}
        assert len(forms) == 1


def test_perfect_play_is_a_draw_and_takes_a_win() -> None:
    assert value(EMPTY) == 0
    board = EMPTY
    for cell in (0, 3, 1, 4):  # X threatens the top row
        board = play(board, cell)
    assert perfect_moves(board) == [2]


def test_training_finds_an_agent_that_never_loses(tmp_path: Path) -> None:
    result = train(TrainSettings(episodes=40_000, min_episodes=10_000, check_every=5_000))
    assert losing_lines(result.table) == (0, losing_lines(result.table)[1])
    assert result.checks[-1]["losing_lines"] == 0
    result.table.save(tmp_path / "agent.json")
    again = load_table(tmp_path / "agent.json")
    assert again.values.keys() == result.table.values.keys()


def test_the_shipped_agent_never_loses_and_draws_perfect_play() -> None:
    table = load_table(SHIPPED)
    assert losing_lines(table)[0] == 0
    tallies = evaluate(table, random_games=500, perfect_games=100, seed=3)
    assert all(t.losses == 0 for t in tallies)
    assert all(t.draws == t.games for t in tallies if t.opponent == "minimax")
    assert sum(t.wins for t in tallies if t.opponent == "random") > 800  # it does win


def test_the_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "agent.json"
    args = ["--out", str(out), "--episodes", "20000", "--min-episodes", "10000"]
    assert main(["train", "tictactoe", *args]) == 0
    assert "losing lines: 0" in capsys.readouterr().out
    report = tmp_path / "eval.json"
    eval_args = ["--agent", str(out), "--games", "200", "--perfect-games", "20"]
    assert main(["game", "eval", *eval_args, "--json", str(report)]) == 0
    tallies = json.loads(report.read_text())["tallies"]
    assert len(tallies) == 4 and all(t["losses"] == 0 for t in tallies)
    assert main(["game", "eval", "--agent", str(tmp_path / "nope.json")]) == 2
    assert "installation train tictactoe" in capsys.readouterr().err
