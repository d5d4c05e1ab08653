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

from pydantic import Field, field_validator, model_validator

from installation.config.paths import Table as _Table

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


class FileTarget(_Table):
    """A folder that receives each post (image + caption + alt text): shows without a network."""

    kind: Literal["file"] = Field(description="a folder")
    folder: Path = Field(
        Path("../posted"), description="where each post is written (relative to the show file)"
    )


class MastodonTarget(_Table):
    """A Mastodon account (any server). Token: Preferences > Development > New application."""

    kind: Literal["mastodon"] = Field(description="a Mastodon account")
    base_url: Url = Field("https://mastodon.social", description="the account's server")
    access_token_env: EnvName = Field(
        "MASTODON_ACCESS_TOKEN", description="the environment variable that holds the token"
    )
    visibility: Literal["public", "unlisted", "private", "direct"] = Field(
        "public", description="who sees the posts"
    )

    def credential_names(self) -> dict[str, str]:
        return {"access_token": self.access_token_env}


class BlueskyTarget(_Table):
    """A Bluesky account: its handle and an app password (Settings > Privacy > App passwords)."""

    kind: Literal["bluesky"] = Field(description="a Bluesky account")
    base_url: Url = Field("https://bsky.social", description="the account's service")
    handle_env: EnvName = Field(
        "BLUESKY_HANDLE", description="the environment variable that holds the handle"
    )
    app_password_env: EnvName = Field(
        "BLUESKY_APP_PASSWORD", description="the environment variable that holds the app password"
    )
    max_image_bytes: int = Field(
        1_000_000,
        ge=10_000,
        le=50_000_000,
        description="larger images are re-encoded to fit (the service's limit)",
    )

    def credential_names(self) -> dict[str, str]:
        return {"handle": self.handle_env, "app_password": self.app_password_env}


class XTarget(_Table):
    """An X account through the v2 API with OAuth 1.0a user context (four keys)."""

    kind: Literal["x"] = Field(description="an X account")
    base_url: Url = Field("https://api.x.com", description="the API")
    consumer_key_env: EnvName = Field(
        "X_CONSUMER_KEY", description="the environment variable that holds the API key"
    )
    consumer_secret_env: EnvName = Field(
        "X_CONSUMER_SECRET", description="the environment variable that holds the API key secret"
    )
    access_token_env: EnvName = Field(
        "X_ACCESS_TOKEN", description="the environment variable that holds the access token"
    )
    access_token_secret_env: EnvName = Field(
        "X_ACCESS_TOKEN_SECRET",
        description="the environment variable that holds the access token secret",
    )
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
        (),
        description="trigger names whose rainbows are posted (osc, game, attract: a game the "
        "show played with itself, keyboard, gamepad, gaze, auto, or * for all)",
    )
    targets: tuple[str, ...] = Field((), description="names from [posting.targets]")
    caption: str = Field(
        "A new AI rainbow, seed {seed}, born {time:%H:%M}. {caption}",
        description="the post's text, a template: " + ", ".join(f"{{{f}}}" for f in RAINBOW_FIELDS),
    )
    alt: str = Field(
        "A rainbow painted by a generative neural network (seed {seed}): soft bands of colour "
        "arching across the picture.",
        description="the image's alt text, a template with the caption's fields",
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
    targets: tuple[str, ...] = Field((), description="names from [posting.targets]")
    caption: str = Field(
        "{show}, {time:%H:%M}: {scene}.",
        description="the post's text, a template: " + ", ".join(f"{{{f}}}" for f in FRAME_FIELDS),
    )
    alt: str = Field(
        "A frame of the generative installation {show}: the {scene} scene.",
        description="the image's alt text, a template with the caption's fields",
    )

    _caption = field_validator("caption", "alt")(lambda value: check_template(value, FRAME_FIELDS))


class PostingSection(_Table):
    """``[posting]``: the durable outbox and its targets (docs/posting.md)."""

    enabled: bool = Field(True, description="false (or `run --no-posting`): post nothing")
    folder: Path = Field(
        Path("../show_data/posting"),
        description="outbox.sqlite, the images being posted, saved sessions (relative to the show)",
    )
    env_file: Path | None = Field(
        None,
        description="a .env file (NAME=value lines) with credentials; refused inside a git "
        "repository",
    )
    dry_run: bool = Field(
        False,
        description="render each post into folder/dry-run, send nothing (or `run --dry-run`)",
    )
    max_posts_per_hour: int = Field(20, ge=1, le=10_000, description="all targets together")
    max_attempts: int = Field(
        12, ge=0, le=1000, description="then the post has failed; 0 = retry for ever"
    )
    retry_base_seconds: float = Field(
        30.0,
        ge=0.001,
        le=86400.0,
        description="backoff: base x 2^attempts, half of it random, up to retry_max_seconds",
    )
    retry_max_seconds: float = Field(
        3600.0,
        ge=0.001,
        le=7 * 86400.0,
        description="the longest wait between attempts; never before a service's rate-limit reset",
    )
    timeout_seconds: float = Field(30.0, gt=0.0, le=600.0, description="per request")
    targets: dict[str, Target] = Field(
        default_factory=dict, description="one table per target, any name"
    )
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
