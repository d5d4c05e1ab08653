"""The scene registry: one entry per scene kind, its settings class and its factory.

The ``kind`` key of a ``[[scenes]]`` table picks the entry. The show file's schema is built
from the settings classes here (``installation.config.schema.show_schema``), so a new scene
kind is one module with its settings beside it, plus one line below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installation.canvas import Image
from installation.config.loader import load_show as load_config
from installation.config.loader import scene_kind_of
from installation.config.schema import SceneSettings, ShowConfig
from installation.errors import ConfigError
from installation.events import Event
from installation.models.base import Model
from installation.scenes.base import Scene, SequenceFactory
from installation.scenes.latent_walk import LatentWalkScene, LatentWalkSettings
from installation.scenes.lava_lamp import LavaLampScene, LavaLampSettings
from installation.scenes.rainbow import RainbowScene, RainbowSettings, RequestFactory
from installation.scenes.tictactoe import TicTacToeScene, TicTacToeSettings


@dataclass(frozen=True)
class SceneKit:
    """What a scene factory gets besides its settings: workers and the output bus."""

    make_sequence: SequenceFactory[Image]
    make_requests: RequestFactory
    emit: Callable[[Event], None]
    post: Callable[[Event], None] = lambda event: None
    """Where a scene posts an input event for the next frame (a game's ``GameOver``)."""


SceneFactory = Callable[[Any, Model | None, SceneKit], Scene[Any]]


@dataclass(frozen=True)
class SceneKind:
    """A scene kind: the settings its ``[[scenes]]`` table is validated against, and a factory."""

    settings: type[SceneSettings]
    factory: SceneFactory


def _needs_model(model: Model | None) -> Model:
    if model is None:
        raise ConfigError("this scene kind needs a model (set `model` in its [[scenes]] table)")
    return model


SCENE_KINDS: dict[str, SceneKind] = {
    scene_kind_of(kind.settings): kind
    for kind in (
        SceneKind(
            LavaLampSettings,
            lambda s, m, kit: LavaLampScene(s, _needs_model(m), kit.make_sequence),
        ),
        SceneKind(
            LatentWalkSettings,
            lambda s, m, kit: LatentWalkScene(s, _needs_model(m), kit.make_sequence),
        ),
        SceneKind(
            RainbowSettings,
            lambda s, m, kit: RainbowScene(
                s, _needs_model(m), kit.make_sequence, kit.make_requests, kit.emit
            ),
        ),
        SceneKind(TicTacToeSettings, lambda s, m, kit: TicTacToeScene(s, kit.post, kit.emit)),
    )
}
"""Scene kind (the ``kind`` key of a ``[[scenes]]`` table) -> settings and factory."""

SCENE_SETTINGS: list[type[SceneSettings]] = [kind.settings for kind in SCENE_KINDS.values()]


def build_scene(settings: SceneSettings, models: Mapping[str, Model], kit: SceneKit) -> Scene[Any]:
    """The scene a validated ``[[scenes]]`` table describes."""
    model = models[settings.model] if settings.model is not None else None
    return SCENE_KINDS[settings.kind].factory(settings, model, kit)


def load_show(path: Path | str) -> ShowConfig:
    """Read and validate a show file whose scenes may be of any registered kind."""
    return load_config(path, SCENE_SETTINGS)
