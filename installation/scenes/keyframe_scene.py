"""Scenes that show a model's keyframes at a fixed rate, blended so motion is fluid.

The model produces keyframe k for time k / rate on a worker (see ``SequenceSource``). Each
display frame shows keyframes a and a+1 mixed by the fractional position. If the model falls
behind, the position waits for it (the motion slows for a moment) instead of jumping.

A scene hands the worker a fresh *producer* (``producer()``: a function of the index that
owns its own state) each time the sequence starts or restarts, so a worker still finishing an
old run can never disturb the new one, and restarting never waits for it.
"""

from __future__ import annotations

import logging
import math
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import TypeVar

from installation.canvas import Canvas, Image
from installation.config.schema import SceneSettings
from installation.events import Event
from installation.models.sequence_worker import SequenceSource
from installation.scenes.base import Scene, SequenceFactory
from installation.scenes.layers import Layer, flatten

log = logging.getLogger(__name__)
S = TypeVar("S", bound=SceneSettings)
Producer = Callable[[int], Image]


STALL_SECONDS = 15.0
"""A worker that has not delivered a keyframe it was asked for in this long is hung."""
MAX_HUNG_WORKERS = 4
"""Hung workers cannot be stopped, only left behind: after this many the scene keeps its
last image and says so once, rather than leave a thread behind every 15 s."""


class KeyframeScene(Scene[S]):
    """Base for scenes whose model yields one image per keyframe index.

    A worker that fails is started over; one that hangs (a keyframe asked for and not
    delivered for ``STALL_SECONDS``: a driver that never returns) is left behind and a new
    one started, up to ``MAX_HUNG_WORKERS`` times. The last image stays on screen meanwhile.
    """

    def __init__(self, settings: S, rate: float, make_sequence: SequenceFactory[Image]) -> None:
        super().__init__(settings)
        self.rate = rate
        self._make_sequence = make_sequence
        self._sequence: SequenceSource[Image] | None = None
        self._position = 0.0
        self._last_now: float | None = None
        self._image: Image | None = None
        self.restarts = 0
        self.hung_workers = 0
        self._newest_seen = -1
        self._progress_at = 0.0
        self.hold_back = False
        """While True, the worker is asked for no new keyframes (it keeps those it has, and
        its lookahead): a one-off model request someone waits for gets the cores first."""

    @abstractmethod
    def producer(self) -> Producer:
        """A fresh producer: keyframe ``index`` for 0, 1, 2, ... in order, on the worker."""

    def grade(self, image: Image) -> Image:
        """Colour adjustment after blending; identity unless a scene overrides it."""
        return image

    @property
    def position(self) -> float:
        """Keyframe position shown now (fractional)."""
        return self._position

    @property
    def current_image(self) -> Image | None:
        """The blended, graded image this frame shows (None before the first keyframe)."""
        return self._image

    @property
    def failure(self) -> str | None:
        return self._sequence.failure if self._sequence is not None else None

    def activate(self, now: float) -> None:
        self._position = 0.0
        self._last_now = now
        self._newest_seen, self._progress_at = -1, now
        self._sequence = self._make_sequence(self.producer(), self.name)
        self._sequence.start()
        self._sequence.want(1)

    def restart(self, now: float) -> None:
        """Start the sequence over with a fresh producer; never waits for the worker."""
        if self._sequence is None:
            self.activate(now)
            return
        self._position = 0.0
        self._last_now = now
        self._newest_seen, self._progress_at = -1, now
        self._sequence.restart(self.producer())
        self._sequence.want(1)

    def reset(self, now: float) -> None:
        """Start over from the seed: a fresh producer, the last image stays up until then."""
        self.restart(now)

    def deactivate(self) -> None:
        if self._sequence is not None:
            self._sequence.stop()
            self._sequence = None

    def ready(self) -> bool:
        return self._sequence is not None and self._sequence.get(0) is not None

    def update(self, now: float, events: Sequence[Event]) -> None:
        sequence = self._sequence
        if sequence is None:
            return
        if sequence.failure is not None:
            # A kiosk must not freeze: keep the last image up and start the model over.
            log.error("%s: model stopped (%s); restarting it", self.name, sequence.failure)
            self.restarts += 1
            self.deactivate()
            self.activate(now)
            return
        dt = 0.0 if self._last_now is None else max(0.0, now - self._last_now)
        self._last_now = now
        target = self._position + dt * self.rate
        if dt > 1.0:  # the loop itself stood still (SIGSTOP, a suspended machine): not the model
            self._progress_at = now
        if not self.hold_back:
            sequence.want(math.floor(target) + 1)
            if self._hung(sequence.newest(), math.floor(target) + 1, now):
                return
        # Never run past the newest keyframe: slow down rather than jump.
        self._position = min(target, float(max(sequence.newest(), 0)))
        base = math.floor(self._position)
        first = sequence.get(base)
        second = sequence.get(base + 1)
        if first is None:
            return
        fraction = self._position - base
        layers: list[Layer] = [(first, 1.0)]
        if second is not None and fraction > 0.0:
            layers.append((second, fraction))
        blended = flatten(layers)
        assert blended is not None  # an opaque stack of one model's same-size keyframes
        self._image = self.grade(blended[0])

    def _hung(self, newest: int, wanted: int, now: float) -> bool:
        """Whether the worker hung and was replaced by a new one (this frame)."""
        if newest != self._newest_seen or newest >= wanted:
            self._newest_seen, self._progress_at = newest, now
            return False
        if now - self._progress_at < STALL_SECONDS or self.hung_workers > MAX_HUNG_WORKERS:
            return False
        self.hung_workers += 1
        if self.hung_workers > MAX_HUNG_WORKERS:
            log.error("%s: the model hangs again and again; its last image stays up", self.name)
            return False
        log.error(
            "%s: no keyframe from the model for %.0f s; starting a new worker", self.name,
            now - self._progress_at,
        )  # fmt: skip
        self.deactivate()  # signals the hung one to stop when (if) it returns; never waits
        self.activate(now)
        return True

    def draw(self, canvas: Canvas, alpha: float) -> None:
        if self._image is not None:
            canvas.draw_image(self._image, alpha=alpha, fit=self.settings.fit)
