"""``installation doctor``'s Disk section: what the gallery and the posting folder hold, and
the space left where they are (a full disk is survived, but nothing new is saved then)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from installation.config.schema import ShowConfig
from installation.outputs.gallery_bounds import gallery_usage

LOW_DISK_BYTES = 1_000_000_000
"""Less free space than this where the show writes is reported as missing."""


def _mb(count: int | float) -> str:
    return f"{count / 1_000_000:,.0f} MB"


def _folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _free(folder: Path) -> int | None:
    """Free bytes on the file system ``folder`` is (or will be) on."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return None


def disk_report(config: ShowConfig, line: Callable[[str, str], None]) -> list[str]:
    """Print the section's lines through ``line``; return what is missing (a full disk)."""
    missing: list[str] = []
    gallery = config.gallery
    if gallery.enabled:
        usage = gallery_usage(gallery.folder)
        limits = [
            f"{gallery.max_images:,} images" if gallery.max_images else "",
            _mb(gallery.max_megabytes * 1_000_000) if gallery.max_megabytes else "",
        ]
        bound = " or ".join(limit for limit in limits if limit) or "no limit"
        line("gallery", f"{gallery.folder}: {usage.images:,} images, {_mb(usage.bytes)}")
        line("", f"kept within {bound} (the oldest removed first)")
    else:
        line("gallery", "off ([gallery] enabled = false)")
    written = [("gallery", gallery.folder)] if gallery.enabled else []
    if config.posting.enabled and config.posting.targets:
        folder = config.posting.folder
        line("posting", f"{folder}: {_mb(_folder_bytes(folder))} (outbox and images)")
        written.append(("posting", folder))
    for name, folder in written:
        free = _free(folder)
        if free is None:
            continue
        line(f"free on {name}'s disk", _mb(free))
        if free < LOW_DISK_BYTES:
            missing.append(f"disk space for the {name} ({_mb(free)} free)")
    return missing
