"""What a publisher is given (a ``Post``), what it answers, and how it fails.

A publisher either returns ``Posted`` or raises one of three errors, and the outbox's whole
retry policy rests on which: ``Retry`` (nothing was posted; try again, not before
``not_before``), ``Rejected`` (the service refused for good: bad credentials, a post it will
never take) and ``Unclear`` (the request may or may not have been posted: a timeout or a
dropped connection while the post itself was being created).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Post:
    """One outbox item as a publisher sees it."""

    id: int
    target: str
    image: Path
    caption: str
    alt: str
    key: str
    """Fixed when the item is queued: the idempotency key (Mastodon), record key (Bluesky)."""
    attempts: int = 0
    """Attempts before this one."""
    committing: Callable[[], None] = field(default=_nothing, compare=False)
    """Called right before the request that creates the post: from then on, a crash leaves an
    outcome that only the service knows (the outbox records it durably)."""


@dataclass(frozen=True)
class Posted:
    """Where the post now lives."""

    remote_id: str
    url: str


@dataclass(frozen=True)
class Rendered:
    """A post exactly as it would be sent: text and alt after the network's limits, the image."""

    text: str
    alt: str
    image: bytes
    mime_type: str
    size: tuple[int, int]
    notes: tuple[str, ...] = field(default=())
    """What was changed to fit the network (text shortened, image re-encoded)."""


def shortened(text: str, limit: int) -> tuple[str, tuple[str, ...]]:
    """``text`` cut to ``limit`` characters at a word, with an ellipsis, and a note saying so."""
    if len(text) <= limit:
        return text, ()
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + "…", (f"text shortened from {len(text)} to {len(cut) + 1} characters",)


class PostError(Exception):
    """Base of what a publisher raises; ``str`` never contains a credential."""


class Retry(PostError):
    """Nothing was posted; try again later (``not_before``: a wall time from a rate-limit reset).
    ``check``: a check before the post itself failed (resuming a session, asking whether an
    earlier try posted); the outbox does not count it as an attempt."""

    def __init__(self, reason: str, not_before: float | None = None, check: bool = False) -> None:
        super().__init__(reason)
        self.not_before = not_before
        self.check = check


class Rejected(PostError):
    """The service refused the post for good; retrying cannot help (fix the config or the post)."""


class Unclear(PostError):
    """The service may have posted it: the answer to the request that creates the post was lost."""


class Publisher(ABC):
    """One network target: renders a post to fit it and sends it."""

    kind: ClassVar[str]
    safe_to_repeat_seconds: ClassVar[float] = 0.0
    """How long after an unclear attempt a repeat cannot post twice (Mastodon's idempotency key
    lives an hour; a Bluesky record key for ever; X has nothing: 0 = an unclear post is
    ``unknown``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def render(self, post: Post) -> Rendered:
        """The post as it would be sent (no network)."""

    @abstractmethod
    def publish(self, post: Post) -> Posted:
        """Send it; raises ``Retry``, ``Rejected`` or ``Unclear``."""

    def check(self) -> str:
        """Ask the service whether the credentials work (``doctor --online``); raises PostError."""
        return "nothing to check"

    def close(self) -> None:
        """Release connections."""
        return None
