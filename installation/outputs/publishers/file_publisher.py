"""The file target: each post copied into a folder with its caption and alt text.

For shows without a network, and the way to see what would be posted. Writing is atomic
and named by the outbox item, so a repeat after a crash rewrites the same files (never two).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from installation.outputs.atomic_file import atomic_write
from installation.outputs.publishers.post import Post, Posted, Publisher, Rejected, Rendered, Retry
from installation.outputs.publishers.post_images import image_size, mime_type


def render_plainly(post: Post) -> Rendered:
    """The post as it is: the image file's bytes, caption and alt text unchanged."""
    try:
        data = post.image.read_bytes()
    except FileNotFoundError:
        raise Rejected(f"the image {post.image} is gone (was it deleted?)") from None
    except OSError as exc:
        raise Retry(f"cannot read {post.image}: {exc}") from exc
    return Rendered(post.caption, post.alt, data, mime_type(post.image), image_size(data))


def write_rendered(folder: Path, stem: str, rendered: Rendered, extra: dict[str, str]) -> Path:
    """``STEM.png|jpg`` plus ``STEM.json`` (text, alt, what was changed) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".jpg" if rendered.mime_type == "image/jpeg" else ".png"
    image = folder / f"{stem}{suffix}"
    atomic_write(image, rendered.image)
    record = {
        "text": rendered.text,
        "alt": rendered.alt,
        "image": image.name,
        "size": list(rendered.size),
        "bytes": len(rendered.image),
        "notes": list(rendered.notes),
        **extra,
    }
    atomic_write(folder / f"{stem}.json", (json.dumps(record, indent=1) + "\n").encode())
    return image


class FilePublisher(Publisher):
    """Copies each post into ``folder`` as ``post-<id>.png`` + ``post-<id>.json``."""

    kind = "file"
    safe_to_repeat_seconds = float("inf")

    def __init__(self, name: str, folder: Path) -> None:
        super().__init__(name)
        self.folder = folder

    def render(self, post: Post) -> Rendered:
        return render_plainly(post)

    def publish(self, post: Post) -> Posted:
        rendered = self.render(post)
        post.committing()
        try:
            image = write_rendered(self.folder, f"post-{post.id}", rendered, {"key": post.key})
        except OSError as exc:
            raise Retry(f"cannot write to {self.folder}: {exc}") from exc
        return Posted(f"post-{post.id}", image.as_uri())

    def check(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not os.access(self.folder, os.W_OK):
            raise Rejected(f"{self.folder} is not writable")
        return f"writes to {self.folder}"
