"""``installation train tictactoe`` and ``installation game eval``: the stage game's agent."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from installation.errors import ConfigError
from installation.scenes.tictactoe_agent import AgentError, load_table
from installation.training.tictactoe.evaluate import evaluate
from installation.training.tictactoe.train import TrainSettings, losing_lines, train

AGENT = Path("exported_models/tictactoe_agent.json")


def configure_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=AGENT, help=f"table file ({AGENT})")
    parser.add_argument("--episodes", type=int, default=200_000, help="at most (200,000)")
    parser.add_argument("--min-episodes", type=int, default=50_000, help="at least (50,000)")
    parser.add_argument("--learning-rate", type=float, default=0.3, help="alpha (0.3)")
    parser.add_argument("--discount", type=float, default=0.95, help="gamma (0.95)")
    parser.add_argument("--seed", type=int, default=0)


def run_train(args: argparse.Namespace) -> int:
    if args.episodes < 1 or not 0 < args.learning_rate <= 1 or not 0 < args.discount <= 1:
        raise ConfigError("--episodes must be >= 1, --learning-rate and --discount in (0, 1]")
    settings = TrainSettings(
        episodes=args.episodes,
        min_episodes=min(args.min_episodes, args.episodes),
        learning_rate=args.learning_rate,
        discount=args.discount,
        seed=args.seed,
    )
    with tqdm(total=settings.episodes, unit="game", desc="self-play") as bar:

        def progress(episode: int, lost: int) -> None:
            bar.update(episode - bar.n)
            bar.set_postfix(losing_lines=lost)

        result = train(settings, progress)
    lost, visited = losing_lines(result.table)
    result.table.save(args.out)
    print(f"{result.episodes:,} self-play games in {result.cpu_seconds:.1f} s of CPU")
    print(
        f"boards learned: {len(result.table.values)}; losing lines: {lost} of {visited} positions"
    )
    print(f"table: {args.out}; measure with: installation game eval --agent {args.out}")
    return 0 if lost == 0 else 1


def configure_eval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", type=Path, default=AGENT, help=f"table file ({AGENT})")
    parser.add_argument("--games", type=int, default=10_000, help="against random, per side")
    parser.add_argument(
        "--perfect-games", type=int, default=1_000, help="against minimax, per side"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the tallies here")


def run_eval(args: argparse.Namespace) -> int:
    try:
        table = load_table(args.agent)
    except AgentError as exc:
        raise ConfigError(str(exc)) from None
    tallies = evaluate(table, args.games, args.perfect_games, args.seed)
    print(f"{'opponent':<9} {'agent':<6} {'games':>6} {'wins':>6} {'draws':>6} {'losses':>6}")
    for t in tallies:
        print(f"{t.opponent:<9} {t.mark:<6} {t.games:>6} {t.wins:>6} {t.draws:>6} {t.losses:>6}")
    lost, visited = losing_lines(table)
    print(f"exhaustive check: {lost} losing lines over {visited} positions (every opponent move)")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"agent": str(args.agent), "about": table.about, "losing_lines": lost,
                  "tallies": [t.as_dict() for t in tallies]}  # fmt: skip
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0 if lost == 0 and not any(t.losses for t in tallies) else 1
