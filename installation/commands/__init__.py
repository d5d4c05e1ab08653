"""The command groups of ``installation``: one module per group, each with ``register(sub)``.

``installation.cli`` only parses and dispatches: it asks each module below to add its
subcommands, and calls the handler that the parsed arguments name. A module imports what its
command needs (pygame, onnxruntime, torch) inside its handlers, so ``installation --help`` and
``installation osc send`` stay quick.
"""
