"""``installation outbox list | retry ID | drop ID | send | post IMAGE``: the operator's outbox.

The outbox belongs to a show (its ``[posting] folder``); every verb takes ``--show``. ``list``
shows what waits, what was sent where, and what needs a decision (``unknown``: the show stopped
or the answer was lost while posting; check the account, then ``retry`` or ``drop``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from installation.commands.common import DEFAULT_SHOW, SubParsers, positive_seconds
from installation.errors import ConfigError
from installation.outputs.publishers.outbox_store import STATES, Item, OutboxStore, State

if TYPE_CHECKING:
    from installation.config.schema import ShowConfig

log = logging.getLogger(__name__)


def register(sub: SubParsers) -> None:
    outbox = sub.add_parser(
        "outbox", help="the posting outbox: list, retry or drop items, send or post now"
    )
    verbs = outbox.add_subparsers(dest="verb", metavar="VERB", required=True)

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = verbs.add_parser(name, help=help_text)
        parser.add_argument(
            "--show", type=Path, default=DEFAULT_SHOW, help="the show whose outbox (default.toml)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="the dry-run outbox (`run --dry-run`)"
        )
        return parser

    listing = verb("list", "what is queued, sent, failed or unknown (newest first)")
    listing.add_argument("--state", action="append", choices=STATES, help="only these")
    listing.add_argument("--limit", type=int, default=50, help="at most N items (50)")
    listing.set_defaults(handler=_list_command)
    for name, help_text in (
        ("retry", "queue a failed or unknown item again (you checked it was not posted)"),
        ("drop", "delete an item (an unknown one you found posted, or one not to send)"),
    ):
        parser = verb(name, help_text)
        parser.add_argument("id", type=int, help="the item's id (from `outbox list`)")
        parser.set_defaults(handler=_change_command)
    sending = verb("send", "send what is due now, without a show; stops when nothing is due")
    sending.add_argument("--seconds", type=positive_seconds, metavar="S", help="stop after S s")
    sending.set_defaults(handler=_send_command)
    posting = verbs.add_parser(
        "post", help="queue an image for a target; --dry-run shows the post as it would be sent"
    )
    posting.add_argument("image", type=Path, help="PNG or JPEG")
    posting.add_argument("--show", type=Path, default=DEFAULT_SHOW, help="the show (default.toml)")
    posting.add_argument("--target", required=True, help="a [posting.targets.NAME] of the show")
    posting.add_argument("--caption", default="", help="the post's text")
    posting.add_argument("--alt", required=True, help="alt text: what the picture shows")
    posting.add_argument(
        "--dry-run", action="store_true", help="render the post (limits, re-encoding); send nothing"
    )
    posting.set_defaults(handler=_post_command)


def _list_command(args: argparse.Namespace) -> int:
    states = tuple(args.state or ())
    return list_items(OutboxRequest(args.show, args.dry_run), states, args.limit)


def _change_command(args: argparse.Namespace) -> int:
    action = retry if args.verb == "retry" else drop
    return action(OutboxRequest(args.show, args.dry_run), args.id)


def _send_command(args: argparse.Namespace) -> int:
    try:
        return send(OutboxRequest(args.show, args.dry_run), args.seconds)
    except KeyboardInterrupt:
        return 130


def _post_command(args: argparse.Namespace) -> int:
    request = OutboxRequest(args.show)
    return post(request, args.image, args.target, args.caption, args.alt, args.dry_run)


@dataclass(frozen=True)
class OutboxRequest:
    show: Path
    dry_run: bool = False


def _store(request: OutboxRequest) -> tuple[ShowConfig, OutboxStore]:
    """The show's outbox, with what a dead process left ``sending`` resolved first (only when
    no live process owns the outbox: a running show's rows are its own)."""
    from installation.outputs.publishers.outbox_recovery import OutboxLock, recover
    from installation.outputs.publishers.targets import database_path, repeat_windows
    from installation.scenes.registry import load_show

    config = load_show(request.show)
    dry_run = request.dry_run or config.posting.dry_run
    store = OutboxStore(database_path(config.posting, dry_run))
    lock = OutboxLock(store.path)
    if lock.acquire():
        try:
            recover(store, repeat_windows(config.posting, dry_run), time.time())
        finally:
            lock.release()
    return config, store


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def _line(item: Item, now: float) -> str:
    caption = item.caption if len(item.caption) <= 48 else item.caption[:47] + "…"
    detail = item.url if item.state == "sent" else (item.last_error or "")
    when = datetime.fromtimestamp(item.created_at).strftime("%m-%d %H:%M")
    return (
        f"{item.id:>5}  {item.state:<8} {item.target:<12} {item.attempts:>3}  {when}  "
        f"{_age(now - item.updated_at):>6}  {caption!r}  {detail}"
    )


def list_items(request: OutboxRequest, states: tuple[State, ...], limit: int) -> int:
    config, store = _store(request)
    try:
        counts = store.counts()
        items = store.items(states or STATES, limit)
    finally:
        store.close()
    print(f"Outbox of {config.show.name!r}: {store.path}")
    print("  " + ", ".join(f"{state} {counts[state]}" for state in STATES))
    if not items:
        print("  (no items)")
        return 0
    print(
        f"{'id':>5}  {'state':<8} {'target':<12} {'try':>3}  {'queued':<11}  {'since':>6}  caption"
    )
    now = time.time()
    for item in items:
        print(_line(item, now))
    if counts["unknown"]:
        print(
            "unknown items may or may not have been posted: look at the account, then "
            "`installation outbox retry ID` (it was not posted) or `drop ID` (it was)."
        )
    return 0


def retry(request: OutboxRequest, item_id: int) -> int:
    _, store = _store(request)
    try:
        item = store.retry(item_id, time.time())
    finally:
        store.close()
    print(f"#{item.id} is queued again for {item.target}; a running show sends it within seconds")
    return 0


def drop(request: OutboxRequest, item_id: int) -> int:
    from installation.outputs.publishers.outbox_recovery import remove_if_done

    _, store = _store(request)
    try:
        item = store.drop(item_id)
        removed = remove_if_done(store, item.image)
    finally:
        store.close()
    kept = "its image was deleted" if removed else f"its image stays at {item.image}"
    print(f"#{item.id} ({item.state}, {item.target}) dropped; {kept}")
    return 0


def send(request: OutboxRequest, seconds: float | None) -> int:
    """Send what is due without a show, until nothing is due (or ``seconds``); SIGTERM stops."""
    from installation.outputs.publishers.targets import build_outbox
    from installation.scenes.registry import load_show

    config = load_show(request.show)
    outbox = build_outbox(config.posting, request.dry_run or config.posting.dry_run)
    outbox.wait_for_lock = False  # a running show owns it: say so, do not wait
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(143))
    outbox.start()
    started = time.monotonic()
    try:
        while outbox.alive and not outbox.idle.wait(0.2):
            if seconds is not None and time.monotonic() - started > seconds:
                break
    finally:
        outbox.stop(config.posting.timeout_seconds + 5.0)
    if outbox.error is not None:
        raise ConfigError(f"The outbox stopped: {outbox.error}")
    store = OutboxStore(outbox.database)
    try:
        counts = store.counts()
    finally:
        store.close()
    print(", ".join(f"{state} {counts[state]}" for state in STATES))
    return 0


def post(
    request: OutboxRequest, image: Path, target: str, caption: str, alt: str, render_only: bool
) -> int:
    """Queue one image for a target; with ``render_only``, show it as it would be sent instead."""
    from installation.outputs.publishers.file_publisher import write_rendered
    from installation.outputs.publishers.post import Post, PostError
    from installation.outputs.publishers.targets import build_publishers, database_path
    from installation.scenes.registry import load_show

    config = load_show(request.show)
    posting = config.posting
    if target not in posting.targets:
        known = ", ".join(posting.targets) or "none (add [posting.targets.NAME] to the show)"
        raise ConfigError(f"The show {request.show} has no posting target {target!r}: {known}")
    if not image.is_file():
        raise ConfigError(f"{image} is not a file; pass the PNG or JPEG to post")
    if not alt.strip():
        raise ConfigError("--alt is empty: every post carries alt text (describe the picture)")
    image = image.resolve()
    if render_only:
        built = build_publishers(posting, dry_run=True)
        publisher = built.publishers[target]
        try:
            rendered = publisher.render(Post(0, target, image, caption, alt, "render"))
        except PostError as exc:
            raise ConfigError(f"The post cannot be rendered for {target}: {exc}") from None
        folder = posting.folder / "dry-run" / target
        written = write_rendered(folder, f"render-{int(time.time())}", rendered, {})
        print(f"{target} ({publisher.kind}) would post, nothing was sent:")
        print(f"  text   {rendered.text!r}")
        print(f"  alt    {rendered.alt!r}")
        size = f"{rendered.size[0]}x{rendered.size[1]}"
        print(f"  image  {size}, {len(rendered.image):,} bytes {rendered.mime_type} -> {written}")
        for note in rendered.notes:
            print(f"  note   {note}")
        return 0
    store = OutboxStore(database_path(posting, request.dry_run))
    try:
        item = store.add(target, image, caption, alt, "manual", time.time())
    finally:
        store.close()
    print(
        f"#{item.id} queued for {target}; a running show (or `installation outbox send`) sends it"
    )
    return 0
