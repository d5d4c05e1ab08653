"""Bluesky through the atproto SDK: upload the image blob, then create the post record.

The SDK's ``send_image`` picks a random record key, so a repeat after a lost answer would post
twice. This creates the same record ``send_image`` does (text, images embed with alt text and
aspect ratio) under the outbox item's fixed key instead, and before a repeat asks
``getRecord`` whether it exists: a post is created once, whatever fails when.

Logins are limited (30 per 5 minutes, 300 a day), so the session string is saved (mode 600) in
the posting folder and reused; the SDK refreshes it and each refresh is saved too.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import httpx
from atproto import Client, Request, models
from atproto.exceptions import (
    AtProtocolError,
    BadRequestError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)

from installation.outputs.atomic_file import atomic_write
from installation.outputs.publishers.credentials import Secret
from installation.outputs.publishers.file_publisher import render_plainly
from installation.outputs.publishers.post import (
    Post,
    Posted,
    PostError,
    Publisher,
    Rejected,
    Rendered,
    Retry,
    Unclear,
    shortened,
)
from installation.outputs.publishers.post_images import fit_bytes

log = logging.getLogger(__name__)
SESSION_ERRORS = {"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired"}
"""Answers that mean the session (not the post) is the problem: a PDS says 400 ExpiredToken."""
TEXT_LIMIT = 300
COLLECTION = "app.bsky.feed.post"


class BlueskyPublisher(Publisher):
    kind = "bluesky"
    safe_to_repeat_seconds = float("inf")  # the record key is fixed: asked for before a repeat

    def __init__(
        self,
        name: str,
        base_url: str,
        handle: Secret,
        app_password: Secret,
        session_file: Path,
        max_image_bytes: int = 1_000_000,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(name)
        self.base_url = base_url.rstrip("/")
        self._handle = handle
        self._password = app_password
        self.session_file = session_file
        self.max_image_bytes = max_image_bytes
        self._timeout = timeout
        self._client: Client | None = None
        self._did = ""
        self.logins = 0
        """Password logins by this publisher (each counts against the daily limit)."""

    # Session ------------------------------------------------------------------------------

    def _connected(self) -> Client:
        if self._client is not None:
            return self._client
        client = Client(self.base_url, request=Request(timeout=self._timeout))
        saved = self._saved_session()
        if saved is not None:
            try:
                client.login(session_string=saved, fetch_bsky_profile=False)
                # The saved session names its own server: reusing one made for another server
                # (tests, a moved account) would post there.
                client.com.atproto.server.get_session()
            except (UnauthorizedError, BadRequestError, ValueError):
                log.info("%s: the saved session no longer works; logging in again", self.name)
                client = Client(self.base_url, request=Request(timeout=self._timeout))
                saved = None
            except (AtProtocolError, httpx.TransportError) as exc:
                raise _transient("could not resume the saved session", exc) from None
        if saved is None:
            try:
                client.login(
                    self._handle.reveal(), self._password.reveal(), fetch_bsky_profile=False
                )
            except UnauthorizedError as exc:
                raise Rejected(
                    f"{self.base_url} refused the handle and app password ({_error_name(exc)}); "
                    "make a new app password in Settings > Privacy and security > App passwords"
                ) from None
            except (AtProtocolError, httpx.TransportError) as exc:
                raise _transient("login failed", exc) from None
            self.logins += 1
            self._save(client.export_session_string())
        client.on_session_change(lambda event, session: self._save(session.export()))
        self._client = client
        self._did = str(client._session.did) if client._session else ""
        return client

    def _saved_session(self) -> str | None:
        try:
            text = self.session_file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return text or None

    def _save(self, session_string: str) -> None:
        self.session_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.session_file, session_string.encode(), mode=0o600)

    # Posting ------------------------------------------------------------------------------

    def render(self, post: Post) -> Rendered:
        plain = render_plainly(post)
        text, notes = shortened(plain.text, TEXT_LIMIT)
        alt, alt_notes = shortened(plain.alt, 2000)
        try:
            image, mime, image_notes = fit_bytes(plain.image, plain.mime_type, self.max_image_bytes)
        except ValueError as exc:
            raise Rejected(str(exc)) from None
        return Rendered(text, alt, image, mime, plain.size, notes + alt_notes + image_notes)

    def publish(self, post: Post) -> Posted:
        rendered = self.render(post)
        try:  # checks before the post itself: their failures use up no attempt
            client = self._connected()
            existing = self._existing(client, post.key) if post.attempts > 0 else None
        except Retry as exc:
            raise Retry(str(exc), exc.not_before, check=True) from None
        if existing is not None:
            return existing
        try:
            blob = client.upload_blob(rendered.image).blob
        except (AtProtocolError, httpx.TransportError) as exc:
            raise self._failed("image upload failed", exc, unclear=False) from None
        width, height = rendered.size
        embed = models.AppBskyEmbedImages.Main(
            images=[
                models.AppBskyEmbedImages.Image(
                    alt=rendered.alt,
                    image=blob,
                    aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(width=width, height=height),
                )
            ]
        )
        record = models.AppBskyFeedPost.Record(
            text=rendered.text, created_at=client.get_current_time_iso(), embed=embed, langs=["en"]
        )
        post.committing()
        try:
            created = client.app.bsky.feed.post.create(self._did, record, rkey=post.key)
        except BadRequestError as exc:
            if _error_code(exc) in SESSION_ERRORS:
                raise self._failed("creating the post failed", exc, unclear=False) from None
            existing = self._existing(client, post.key)  # "already exists": an earlier try made it
            if existing is not None:
                return existing
            raise Rejected(f"{self.base_url} refused the post: {_error_name(exc)}") from None
        except (AtProtocolError, httpx.TransportError) as exc:
            raise self._failed("creating the post failed", exc, unclear=True) from None
        return Posted(created.uri, self._web_url(post.key))

    def _existing(self, client: Client, key: str) -> Posted | None:
        try:
            found = client.app.bsky.feed.post.get(self._did, key)
        except BadRequestError as exc:
            if _error_code(exc) == "RecordNotFound":
                return None
            raise self._failed(
                "could not ask whether an earlier attempt posted", exc, False
            ) from None
        except (AtProtocolError, httpx.TransportError) as exc:
            raise _transient("could not ask whether an earlier attempt posted", exc) from None
        return Posted(found.uri, self._web_url(key))

    def _web_url(self, key: str) -> str:
        return f"https://bsky.app/profile/{self._did}/post/{key}"

    def _failed(self, what: str, exc: Exception, unclear: bool) -> PostError:
        if isinstance(exc, UnauthorizedError) or _error_code(exc) in SESSION_ERRORS:
            self._client = None  # the next attempt resumes or logs in again
            return Retry(f"{what}: the session expired ({_error_name(exc)})")
        if isinstance(exc, RateLimitExceededError) or not unclear:
            return _transient(what, exc)
        code = exc.response.status_code if isinstance(exc, RequestErrorBase) and exc.response else 0
        if 400 <= code < 500 and code != 408:
            return Rejected(f"{what}: {_error_name(exc)}")
        return Unclear(f"{what}: {_error_name(exc)}")

    def check(self) -> str:
        client = self._connected()
        try:
            client.com.atproto.server.get_session()
        except (AtProtocolError, httpx.TransportError) as exc:
            raise _transient("session check failed", exc) from None
        how = "a new login" if self.logins else "the saved session"
        return f"logged in as {self._did} on {self.base_url} ({how})"

    def close(self) -> None:
        if self._client is not None:
            self._client.request.close()
            self._client = None


def _transient(what: str, exc: Exception) -> Retry:
    return Retry(f"{what}: {_error_name(exc)}", _reset_of(exc))


def _reset_of(exc: Exception) -> float | None:
    if not isinstance(exc, RateLimitExceededError) or exc.response is None:
        return None
    headers = {str(k).lower(): v for k, v in (exc.response.headers or {}).items()}
    try:
        reset = float(headers.get("ratelimit-reset", ""))
    except ValueError:
        return None
    return reset if reset > time.time() else None


def _answer_field(exc: Exception, name: str) -> str:
    """A field of an XRPC error answer (``error``: ``RecordNotFound``; ``message``), else ''."""
    if not isinstance(exc, RequestErrorBase) or exc.response is None:
        return ""
    content: Any = exc.response.content
    value = content.get(name) if isinstance(content, dict) else getattr(content, name, None)
    return str(value or "")


def _error_code(exc: Exception) -> str:
    """The XRPC error name of an answer (``RecordNotFound``, ``ExpiredToken``), else ''."""
    return _answer_field(exc, "error")


def _error_name(exc: Exception) -> str:
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        parts = (_error_code(exc), _answer_field(exc, "message"))
        detail = ": ".join(part for part in parts if part)
        return f"HTTP {exc.response.status_code} {detail}".strip()
    cause = exc.__cause__ or exc
    return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
