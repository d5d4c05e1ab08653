"""Publishers for a show's ``[posting.targets]``: credentials read, dry runs wrapped.

The only place that names the concrete publishers. A target whose credentials are missing gets
no publisher (its posts wait, queued, for a run that has them) and one clear problem line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from installation.config.posting_schema import (
    BlueskyTarget,
    FileTarget,
    MastodonTarget,
    PostingSection,
    Target,
    XTarget,
)
from installation.outputs.publishers.credentials import Secret, credentials, install_redactor
from installation.outputs.publishers.file_publisher import write_rendered
from installation.outputs.publishers.outbox import Outbox, Policy
from installation.outputs.publishers.post import Post, Posted, Publisher, Rendered, Retry

log = logging.getLogger(__name__)


def build_outbox(
    posting: PostingSection, dry_run: bool, count: Callable[[str], None] | None = None
) -> Outbox:
    """The outbox for ``[posting]``: its publishers, policy and database (not started).

    A target without its credentials is left out with one error line; its posts stay queued.
    """
    install_redactor()
    built = build_publishers(posting, dry_run)
    for problem in built.problems:
        log.error("posting: %s", problem)
    policy = Policy(
        posting.max_attempts,
        posting.retry_base_seconds,
        posting.retry_max_seconds,
        posting.max_posts_per_hour,
    )
    database = database_path(posting, dry_run)
    log.info(
        "posting: outbox %s, targets %s%s",
        database,
        ", ".join(built.publishers) or "none usable",
        " (dry run: rendered, not sent)" if dry_run else "",
    )
    return Outbox(database, built.publishers, policy, count)


class DryRunPublisher(Publisher):
    """Renders each post exactly as ``inner`` would send it, into a folder; sends nothing."""

    safe_to_repeat_seconds = float("inf")

    def __init__(self, inner: Publisher, folder: Path) -> None:
        super().__init__(inner.name)
        self.kind = inner.kind  # type: ignore[misc]
        self.inner = inner
        self.folder = folder

    def render(self, post: Post) -> Rendered:
        return self.inner.render(post)

    def publish(self, post: Post) -> Posted:
        rendered = self.render(post)
        post.committing()
        extra = {"target": self.name, "network": self.inner.kind, "key": post.key}
        try:
            image = write_rendered(self.folder / self.name, f"post-{post.id}", rendered, extra)
        except OSError as exc:
            raise Retry(f"cannot write the dry run to {self.folder}: {exc}") from exc
        return Posted(f"dry-run-{post.id}", image.as_uri())


@dataclass(frozen=True)
class Built:
    publishers: dict[str, Publisher]
    problems: list[str]
    """One line per target that has no publisher this run (missing credentials)."""


def database_path(posting: PostingSection, dry_run: bool | None = None) -> Path:
    """The outbox database; a dry run keeps its own, so it never mixes with real posts."""
    dry = posting.dry_run if dry_run is None else dry_run
    return posting.folder / ("outbox-dry-run.sqlite" if dry else "outbox.sqlite")


def repeat_windows(posting: PostingSection, dry_run: bool | None = None) -> dict[str, float]:
    """Per target, how long after a lost answer a repeat cannot post twice (no credentials
    needed: ``outbox list/retry/drop`` resolve a dead process's rows with it)."""
    if posting.dry_run if dry_run is None else dry_run:
        return dict.fromkeys(posting.targets, DryRunPublisher.safe_to_repeat_seconds)
    from installation.outputs.publishers.bluesky_publisher import BlueskyPublisher
    from installation.outputs.publishers.file_publisher import FilePublisher
    from installation.outputs.publishers.mastodon_publisher import MastodonPublisher
    from installation.outputs.publishers.x_publisher import XPublisher

    kinds = (BlueskyPublisher, FilePublisher, MastodonPublisher, XPublisher)
    windows = {kind.kind: kind.safe_to_repeat_seconds for kind in kinds}
    return {name: windows.get(target.kind, 0.0) for name, target in posting.targets.items()}


def build_publishers(posting: PostingSection, dry_run: bool | None = None) -> Built:
    dry = posting.dry_run if dry_run is None else dry_run
    publishers: dict[str, Publisher] = {}
    problems: list[str] = []
    for name, target in posting.targets.items():
        names = {} if isinstance(target, FileTarget) else target.credential_names()
        found, missing = credentials(names, posting.env_file)
        if missing and not dry:
            where = f" or in {posting.env_file}" if posting.env_file else ""
            problems.append(
                f"target {name!r} ({target.kind}) is missing {', '.join(missing)}: set them in "
                f"the environment{where} (docs/posting.md: credentials); its posts wait"
            )
            continue
        for field in names:  # a dry run renders without sending: no credential needed
            found.setdefault(field, Secret(""))
        publisher = make_publisher(name, target, found, posting)
        if dry:
            publisher = DryRunPublisher(publisher, posting.folder / "dry-run")
        publishers[name] = publisher
    return Built(publishers, problems)


def make_publisher(
    name: str, target: Target, secrets: dict[str, Secret], posting: PostingSection
) -> Publisher:
    timeout = posting.timeout_seconds
    if isinstance(target, FileTarget):
        from installation.outputs.publishers.file_publisher import FilePublisher

        return FilePublisher(name, target.folder)
    if isinstance(target, MastodonTarget):
        from installation.outputs.publishers.mastodon_publisher import MastodonPublisher

        return MastodonPublisher(
            name, target.base_url, secrets["access_token"], target.visibility, timeout
        )
    if isinstance(target, BlueskyTarget):
        from installation.outputs.publishers.bluesky_publisher import BlueskyPublisher

        return BlueskyPublisher(
            name,
            target.base_url,
            secrets["handle"],
            secrets["app_password"],
            posting.folder / "sessions" / f"{name}.session",
            target.max_image_bytes,
            timeout,
        )
    assert isinstance(target, XTarget)
    from installation.outputs.publishers.x_publisher import XPublisher

    return XPublisher(name, target.base_url, secrets, target.chunk_bytes, timeout)
