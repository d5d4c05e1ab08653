"""``installation train | export | measure MODEL`` and ``installation game eval``.

The only runtime module that imports ``installation.training`` (an import-linter contract):
each model family there has a command table; torch is imported inside its commands, so
``measure`` and ``--help`` work without the ``train`` extra.
"""

from __future__ import annotations

from installation.commands.common import SubParsers


def register(sub: SubParsers) -> None:
    verbs = {
        "train": sub.add_parser("train", help="train a model (needs the `train` extra: torch)"),
        "export": sub.add_parser(
            "export", help="export a trained checkpoint to ONNX (needs the `train` extra: torch)"
        ),
        "measure": sub.add_parser(
            "measure",
            help="measure an exported ONNX model against its limits "
            "(onnxruntime and numpy only; no torch needed)",
        ),
    }
    from installation.training.lava.commands import COMMANDS as LAVA
    from installation.training.rainbow.commands import COMMANDS as RAINBOW
    from installation.training.tictactoe import commands as tictactoe

    for verb, parser in verbs.items():
        models = parser.add_subparsers(dest="model", metavar="MODEL", required=True)
        for model in (LAVA, RAINBOW):
            command = model.by_verb()[verb]
            model_parser = models.add_parser(model.name, help=model.help)
            command.configure(model_parser)
            model_parser.set_defaults(handler=command.run)
        if verb == "train":
            game = models.add_parser(
                "tictactoe", help="the stage game's agent: Q-learning by self-play (seconds)"
            )
            tictactoe.configure_train(game)
            game.set_defaults(handler=tictactoe.run_train)
    game = sub.add_parser("game", help="the stage game: evaluate its agent")
    game_verbs = game.add_subparsers(dest="verb", metavar="VERB", required=True)
    evaluation = game_verbs.add_parser(
        "eval", help="the agent against a random and a perfect (minimax) player"
    )
    tictactoe.configure_eval(evaluation)
    evaluation.set_defaults(handler=tictactoe.run_eval)
