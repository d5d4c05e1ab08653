"""``[posting]``: which generated frames are posted where, and how hard the outbox tries.

Secrets never live in a show file: each network target names the *environment variables*
that hold its credentials (read at start, from the environment or an ``env_file`` outside
the repository). Caption and alt-text templates are checked when the show loads.
"""

from __future__ import annotations

import string
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RAINBOW_FIELDS = {
    "seed": 7,
    "time": datetime(2026, 1, 1, 12, 0),
    "caption": "caption",
    "scene": "rainbow",
    "show": "show",
    "trigger": "osc",
    "truncation": 0.8,
}
"""Fields a rainbow caption or alt text may use, with the sample values templates are tried on."""
FRAME_FIELDS = {"time": RAINBOW_FIELDS["time"], "scene": "lava lamp", "show": "show"}
"""Fields a periodic frame's caption or alt text may use."""


def check_template(template: str, fields: dict[str, object]) -> str:
    """A ``str.format`` template using only ``fields`` (``{time:%H:%M}`` works), or ValueError."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        problem = f"{template!r} is not a valid template ({exc}); write {{{{ for a brace"
        raise ValueError(problem) from None
    unknown = sorted({name for name in names if name.split(".")[0].split("[")[0] not in fields})
    if unknown or "" in names:
        known = ", ".join("{" + name + "}" for name in fields)
        raise ValueError(f"{template!r} uses unknown field(s) {unknown or ['{}']}; known: {known}")
    try:
        template.format(**fields)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ValueError(f"{template!r} cannot be filled in: {exc}") from None
    return template


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
"""The name of an environment variable that holds a credential (never the credential)."""
Url = Annotated[str, Field(pattern=r"^https?://")]


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileTarget(_Table):
    """A folder that receives each post (image + caption + alt text): shows without a network."""

    kind: Literal["file"]
    folder: Path = Path("../posted")


class MastodonTarget(_Table):
    """A Mastodon account (any server). Token: Preferences > Development > New application."""

    kind: Literal["mastodon"]
    base_url: Url = "https://mastodon.social"
    access_token_env: EnvName = "MASTODON_ACCESS_TOKEN"
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"

    def credential_names(self) -> dict[str, str]:
        return {"access_token": self.access_token_env}


class BlueskyTarget(_Table):
    """A Bluesky account: its handle and an app password (Settings > Privacy > App passwords)."""

    kind: Literal["bluesky"]
    base_url: Url = "https://bsky.social"
    handle_env: EnvName = "BLUESKY_HANDLE"
    app_password_env: EnvName = "BLUESKY_APP_PASSWORD"
    max_image_bytes: int = Field(1_000_000, ge=10_000, le=50_000_000)

    def credential_names(self) -> dict[str, str]:
        return {"handle": self.handle_env, "app_password": self.app_password_env}


class XTarget(_Table):
    """An X account through the v2 API with OAuth 1.0a user context (four keys)."""

    kind: Literal["x"]
    base_url: Url = "https://api.x.com"
    consumer_key_env: EnvName = "X_CONSUMER_KEY"
    consumer_secret_env: EnvName = "X_CONSUMER_SECRET"
    access_token_env: EnvName = "X_ACCESS_TOKEN"
    access_token_secret_env: EnvName = "X_ACCESS_TOKEN_SECRET"
    chunk_bytes: int = Field(
        1 << 20, ge=16 << 10, le=5 << 20, description="files larger are uploaded in chunks"
    )

    def credential_names(self) -> dict[str, str]:
        return {
            "consumer_key": self.consumer_key_env,
            "consumer_secret": self.consumer_secret_env,
            "access_token": self.access_token_env,
            "access_token_secret": self.access_token_secret_env,
        }


Target = Annotated[
    Union[FileTarget, MastodonTarget, BlueskyTarget, XTarget],  # noqa: UP007
    Field(discriminator="kind"),
]


class RainbowPosts(_Table):
    """``[posting.rainbows]``: post the rainbows revealed by these triggers."""

    triggers: tuple[str, ...] = Field(
        (), description="trigger names whose rainbows are posted (osc, game, keyboard, auto, *)"
    )
    targets: tuple[str, ...] = ()
    caption: str = "A new AI rainbow, seed {seed}, born {time:%H:%M}. {caption}"
    alt: str = (
        "A rainbow painted by a generative neural network (seed {seed}): soft bands of colour "
        "arching across the picture."
    )
    size: int = Field(1024, ge=64, le=4096, description="posted at least this wide (upscaled)")

    _caption = field_validator("caption", "alt")(
        lambda value: check_template(value, RAINBOW_FIELDS)
    )

    def posts(self, trigger: str) -> bool:
        return bool(self.targets) and ("*" in self.triggers or trigger in self.triggers)


class FramePosts(_Table):
    """``[posting.frames]``: every N seconds, post whatever is on screen."""

    every_seconds: float = Field(0.0, ge=0.0, le=7 * 86400, description="0 = never")
    targets: tuple[str, ...] = ()
    caption: str = "{show}, {time:%H:%M}: {scene}."
    alt: str = "A frame of the generative installation {show}: the {scene} scene."

    _caption = field_validator("caption", "alt")(lambda value: check_template(value, FRAME_FIELDS))


class PostingSection(_Table):
    """``[posting]``: the durable outbox and its targets (docs/posting.md)."""

    enabled: bool = True
    folder: Path = Field(
        Path("../show_data/posting"),
        description="outbox.sqlite, the images being posted, saved sessions (relative to the show)",
    )
    env_file: Path | None = Field(
        None, description="a .env file with credentials, outside the repository"
    )
    dry_run: bool = Field(False, description="render each post into folder/dry-run, send nothing")
    max_posts_per_hour: int = Field(20, ge=1, le=10_000)
    max_attempts: int = Field(12, ge=0, le=1000, description="0 = retry for ever")
    retry_base_seconds: float = Field(30.0, ge=0.001, le=86400.0)
    retry_max_seconds: float = Field(3600.0, ge=0.001, le=7 * 86400.0)
    timeout_seconds: float = Field(30.0, gt=0.0, le=600.0, description="per request")
    targets: dict[str, Target] = Field(default_factory=dict)
    rainbows: RainbowPosts = RainbowPosts()
    frames: FramePosts = FramePosts()

    @model_validator(mode="after")
    def _targets_known(self) -> PostingSection:
        known = set(self.targets)
        for table, names in (("rainbows", self.rainbows.targets), ("frames", self.frames.targets)):
            for name in names:
                if name not in known:
                    listed = ", ".join(sorted(known)) or "none: add [posting.targets.NAME]"
                    raise ValueError(
                        f"posting.{table}.targets names {name!r}, which is not a target "
                        f"(targets: {listed})"
                    )
        if self.frames.every_seconds and not self.frames.targets:
            raise ValueError("posting.frames.every_seconds is set, posting.frames.targets is empty")
        return self

    def active(self) -> bool:
        """Whether anything is ever posted by this show."""
        wanted = bool(self.rainbows.targets and self.rainbows.triggers)
        return self.enabled and (wanted or bool(self.frames.every_seconds))
