"""The output registry: one entry per kind of output, the show config section it reads, its factory.

``app.run_show`` builds the show's sinks with ``build_outputs`` and adds them to the output bus;
it names no concrete output. A factory returns nothing when its section turns the output off
(``[gallery] enabled = false``, OSC off, no posting targets), so a new kind of output is one
module plus one entry below. The display is not here: it is the frame loop's canvas, not a sink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from installation.config.schema import ShowConfig
from installation.outputs.base import OutputSink
from installation.outputs.display_power import DisplayPower
from installation.outputs.gallery import GalleryWriter
from installation.outputs.gallery_bounds import GalleryBounds
from installation.outputs.osc_out import OscSender
from installation.outputs.publishers.posting_sink import Grab, PeriodicFrames, PostingSink
from installation.outputs.publishers.targets import build_outbox


class Count(Protocol):
    """Adds to a counter of the run's stats (``RunStats.count``)."""

    def __call__(self, name: str, amount: int = 1) -> None: ...


@dataclass(frozen=True)
class OutputKit:
    """What an output factory gets besides the show config: the run's stats and the screen."""

    count: Count
    providers: Mapping[str, str]
    """Model name -> the execution provider it really runs on (for status replies)."""
    grab: Grab
    """Takes the frame on screen (before the overlay), for periodic frame posts."""
    scene_name: Callable[[], str]
    dark: Callable[[], bool]
    """True while the show is blacked out: no frame is taken then."""


@dataclass
class OutputParts:
    """What a factory adds: sinks for the output bus, and at most one periodic frame capture."""

    sinks: list[OutputSink] = field(default_factory=list)
    capture: PeriodicFrames | None = None


OutputFactory = Callable[[ShowConfig, OutputKit], OutputParts]


@dataclass(frozen=True)
class OutputKind:
    """A kind of output: the show-file section that configures it, and its factory."""

    section: str
    factory: OutputFactory


def _gallery(config: ShowConfig, kit: OutputKit) -> OutputParts:
    if not config.gallery.enabled:
        return OutputParts()
    settings = config.gallery
    bounds = GalleryBounds(
        settings.folder, settings.max_images, round(settings.max_megabytes * 1_000_000)
    )
    return OutputParts([GalleryWriter(settings.folder, bounds, kit.count)])


def _osc_out(config: ShowConfig, kit: OutputKit) -> OutputParts:
    if not config.osc.enabled:
        return OutputParts()
    targets = [(target.host, target.port) for target in config.osc.targets]
    return OutputParts([OscSender(targets, kit.providers, kit.count, config.gallery.enabled)])


def _posting(config: ShowConfig, kit: OutputKit) -> OutputParts:
    posting = config.posting
    if not (posting.enabled and posting.targets):
        return OutputParts()
    outbox = build_outbox(posting, posting.dry_run, kit.count)
    capture = None
    frames = posting.frames
    if frames.every_seconds and frames.targets:
        capture = PeriodicFrames(
            frames,
            outbox,
            kit.grab,
            kit.scene_name,
            config.show.name,
            posting.folder,
            dark=kit.dark,
        )
    return OutputParts([PostingSink(posting, outbox, config.show.name)], capture)


def _display_power(config: ShowConfig, kit: OutputKit) -> OutputParts:
    schedule = config.schedule
    if not (schedule.enabled and (schedule.display_off_command or schedule.display_on_command)):
        return OutputParts()
    off, on = schedule.display_off_command, schedule.display_on_command
    return OutputParts([DisplayPower(off, on, schedule.command_timeout_seconds, kit.count)])


OUTPUT_KINDS: dict[str, OutputKind] = {
    "gallery": OutputKind("gallery", _gallery),
    "osc": OutputKind("osc", _osc_out),
    "posting": OutputKind("posting", _posting),
    "display_power": OutputKind("schedule", _display_power),
}
"""Output kind -> the ``[section]`` that configures it and its factory, in bus order."""


def build_outputs(config: ShowConfig, kit: OutputKit) -> OutputParts:
    """Every output the show's config turns on, in ``OUTPUT_KINDS`` order."""
    parts = OutputParts()
    for kind in OUTPUT_KINDS.values():
        built = kind.factory(config, kit)
        parts.sinks += built.sinks
        parts.capture = parts.capture or built.capture
    return parts
