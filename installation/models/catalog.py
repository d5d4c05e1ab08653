"""Loading every model a show names, with all problems reported together."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from installation.config.schema import ModelEntry, RuntimeSection
from installation.errors import ModelError
from installation.models.onnx_runtime import OnnxModel, load_model

log = logging.getLogger(__name__)

TRAIN_AND_EXPORT = "(docs/training.md: `installation train ...` then `installation export ...`)"


def threads_per_model(runtime: RuntimeSection, model_count: int) -> int:
    """CPU inference threads per session: all sessions together use at most cores - 1."""
    budget = runtime.cpu_threads or max(1, (os.cpu_count() or 2) - 1)
    return max(1, budget // max(1, model_count))


def load_models(entries: Mapping[str, ModelEntry], runtime: RuntimeSection) -> dict[str, OnnxModel]:
    """Load and warm up every model, or raise one ``ModelError`` that lists each failure."""
    threads = threads_per_model(runtime, len(entries))
    models: dict[str, OnnxModel] = {}
    problems: list[str] = []
    for name, entry in entries.items():
        if not entry.path.is_file():
            problems.append(missing_model(name, entry))
            continue
        try:
            model = load_model(name, entry.path, entry.kind, runtime.providers, threads)
        except ModelError as exc:
            problems.append(str(exc))
            continue
        warm_up(model, runtime.warmup_runs)
        models[name] = model
    if problems:
        raise ModelError("\n".join(problems) if len(problems) > 1 else problems[0])
    return models


def missing_model(name: str, entry: ModelEntry) -> str:
    """Why a model's file is missing: for a path from a show file, how that path was read
    (relative to the show file's folder) and where a file of that name is."""
    if entry.path_origin("path") is None:
        return (
            f"Model file {entry.path} (model {name!r}) does not exist. Train and export it "
            f"{TRAIN_AND_EXPORT}, or fix the path in the show config."
        )
    return entry.missing_file(
        "path", "Model file", entry.path, f"Or train and export it {TRAIN_AND_EXPORT}."
    )


def warm_up(model: OnnxModel, runs: int) -> None:
    """Run the model a few times so the first visible frame does not pay for lazy setup."""
    feeds = model.zero_feeds()
    for _ in range(runs):
        model.run(feeds)
    model.stats.reset()
