"""The show config schema: frozen pydantic models, one per TOML table.

A show file is validated completely before any window opens (see ``loader.py``);
unknown keys are errors, values out of range are errors. Secrets never live here:
later features name environment variables instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ProviderName = Literal["tensorrt", "cuda", "cpu"]
ModelKind = Literal["lava_lamp", "generator", "gaze"]
Fit = Literal["contain", "cover", "stretch"]
Size = tuple[Annotated[int, Field(ge=16, le=16384)], Annotated[int, Field(ge=16, le=16384)]]
Colour = tuple[
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
]


class Section(BaseModel):
    """Base of every table: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ShowSection(Section):
    """``[show]``: the show's name, frame rate and scene crossfade."""

    name: str = "Untitled show"
    fps: int = Field(30, ge=1, le=240, description="frames per second the loop paces to")
    crossfade_seconds: float = Field(2.0, ge=0.0, le=60.0)


class DisplaySection(Section):
    """``[display]``: where and how the show is drawn."""

    fullscreen: bool = True
    display: int = Field(0, ge=0, le=15, description="monitor index for fullscreen")
    vsync: bool = True
    render_size: Size = (960, 540)
    window_size: Size = (1280, 720)
    background: Colour = (0, 0, 0)
    hide_cursor: bool = True


class RuntimeSection(Section):
    """``[runtime]``: onnxruntime execution providers and CPU threads."""

    providers: tuple[ProviderName, ...] = Field(("tensorrt", "cuda", "cpu"), min_length=1)
    cpu_threads: int = Field(0, ge=0, le=256, description="0 = cores - 1, shared by all models")
    warmup_runs: int = Field(3, ge=0, le=100)


class GallerySection(Section):
    """``[gallery]``: where revealed images are saved (PNG + JSON to re-render them)."""

    enabled: bool = True
    folder: Path = Path("../gallery")


class ModelEntry(Section):
    """``[models.NAME]``: one ONNX file and the contract kind it must follow."""

    path: Path
    kind: ModelKind


class SceneBase(Section):
    """Keys every scene has."""

    name: str | None = None
    duration_seconds: float = Field(
        0.0, ge=0.0, le=1e7, description="0 = stay until the next scene is asked for"
    )
    fit: Fit = "contain"


class LavaLampScene(SceneBase):
    """A ``lava_lamp`` model stepped forever, blended between steps."""

    kind: Literal["lava_lamp"]
    model: str
    step_rate: float | None = Field(
        None, gt=0.0, le=240.0, description="model steps per second; unset = real time"
    )
    hue_shift: float = Field(0.0, ge=-180.0, le=180.0, description="degrees")
    saturation: float = Field(1.0, ge=0.0, le=3.0)
    brightness: float = Field(1.0, ge=0.0, le=3.0)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class LatentWalkScene(SceneBase):
    """A ``generator`` model walked through latent space by spherical interpolation."""

    kind: Literal["latent_walk"]
    model: str
    frame_rate: float = Field(15.0, gt=0.0, le=240.0, description="images generated per second")
    seconds_per_waypoint: float = Field(4.0, gt=0.0, le=3600.0)
    truncation: float = Field(0.8, ge=0.0, le=1.0)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class RainbowScene(SceneBase):
    """A ``generator`` that drifts through latent space and reveals a new image on a trigger."""

    kind: Literal["rainbow"]
    model: str
    truncation: float = Field(0.8, ge=0.0, le=1.0, description="psi for revealed rainbows")
    drift_truncation: float = Field(0.7, ge=0.0, le=1.0, description="psi while drifting")
    drift_frame_rate: float = Field(10.0, gt=0.0, le=120.0, description="images per second")
    drift_seconds_per_waypoint: float = Field(6.0, gt=0.0, le=3600.0)
    reveal_seconds: float = Field(0.5, ge=0.0, le=30.0, description="fade-in of a new rainbow")
    hold_seconds: float = Field(10.0, ge=0.0, le=3600.0, description="before drifting again")
    auto_reveal_seconds: float = Field(
        0.0, ge=0.0, le=86400.0, description="reveal a new rainbow every N s; 0 = on trigger only"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)


SceneEntry = Annotated[LavaLampScene | LatentWalkScene | RainbowScene, Field(discriminator="kind")]

SCENE_MODEL_KIND: dict[str, ModelKind] = {
    "lava_lamp": "lava_lamp",
    "latent_walk": "generator",
    "rainbow": "generator",
}
"""Which model kind each scene kind needs."""


class ShowConfig(Section):
    """A whole show file. ``source`` is the file it came from (set by the loader)."""

    show: ShowSection = ShowSection()
    display: DisplaySection = DisplaySection()
    runtime: RuntimeSection = RuntimeSection()
    gallery: GallerySection = GallerySection()
    models: dict[str, ModelEntry] = Field(default_factory=dict)
    scenes: list[SceneEntry] = Field(min_length=1)
